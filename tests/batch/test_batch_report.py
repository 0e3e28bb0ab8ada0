"""``workbench batch-report`` on a hand-made results table: its page holds every script and
stylesheet, so it opens without a network."""

import re
from html.parser import HTMLParser

from batch_results import write_results

from workbench.cli import main


class LinkedFiles(HTMLParser):
    """The addresses of the scripts and stylesheets a page loads."""

    def __init__(self):
        super().__init__()
        self.addresses = []

    def handle_starttag(self, tag, attributes):
        attributes = dict(attributes)
        if tag == "script" and attributes.get("src"):
            self.addresses.append(attributes["src"])
        if tag == "link" and "stylesheet" in (attributes.get("rel") or ""):
            self.addresses.append(attributes.get("href"))


def test_the_report_links_no_script_or_stylesheet_on_the_web(tmp_path, capsys):
    out = write_results(tmp_path)
    assert main(["batch-report", str(out)]) == 0
    assert "kaplan_joint" in capsys.readouterr().out
    page = (out / "report.html").read_text(encoding="utf-8")

    parser = LinkedFiles()
    parser.feed(page)
    assert parser.addresses == []
    # Bokeh stylesheets are models in the page's document, linked by their "url".
    assert re.findall(r'"url":\s*"https?://[^"]*', page) == []
    assert "Held-out error by fitting choice" in page  # the plots are there
