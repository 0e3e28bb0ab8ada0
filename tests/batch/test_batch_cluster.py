"""Batches on their own LocalClusters do not get in each other's way."""

import pytest

from workbench.batch.engine import DaskConnection

pytestmark = pytest.mark.sampling


def test_two_local_clusters_start_at_once():
    # Both schedulers once asked for port 8787 for their HTTP routes; Dask then warned that the
    # port was taken (an error under this suite's warning filter), failing one batch test.
    with DaskConnection(None, 1) as first, DaskConnection(None, 1) as second:
        addresses = [client.scheduler_info()["address"] for client in (first, second)]
        assert addresses[0] != addresses[1]
        for client in (first, second):
            dashboard = client.cluster.scheduler.http_server.address
            assert dashboard == "127.0.0.1"
