"""Laws users write themselves: a formula in plain text, parsed by a small whitelisted grammar.

``FormulaLaw("E + A*N**-alpha + B*D**-beta")`` is a law like the registered families: the same
expression tree evaluates in NumPy (predictions) and builds the PyTensor graph (the model),
through :mod:`workbench.laws.elementwise`. Nothing of the text is ever evaluated as Python: a
hand-written tokenizer and recursive-descent parser accept only

- numbers (``3``, ``0.5``, ``1e-3``) and names (``[A-Za-z_][A-Za-z0-9_]*``);
- ``+``, ``-``, ``*``, ``/``, powers ``**`` or ``^`` (right-associative, binding tighter than a
  unary minus on their left: ``-N**2`` is ``-(N**2)``, ``N**-alpha`` is ``N**(-alpha)``),
  unary minus and parentheses;
- the functions ``exp``, ``log`` (natural), ``sqrt`` (one argument) and ``min``, ``max`` (two or
  more).

A name is a **covariate** when it is ``N``, ``D`` or ``C``, or is declared with
``covariates=("P",)`` (CLI ``--covariate P``); a covariate is read from the run-table column of
that name. Every other name is a **parameter**.

Default priors follow the role a parameter plays:

- an **exponent** (the power of a covariate: ``N**-alpha``, ``D^beta``, ``N**(-alpha/2)``) is
  positive, LogNormal(log 0.3, 0.7), about 0.1 to 1;
- an **amplitude** (the one parameter multiplying a term that reads a covariate, like ``A`` in
  ``A*N**-alpha`` or ``A/N**alpha``) is positive: the sampler sees ``A_share``, the log of the
  term's share of the typical target at the data's centre (as the registered laws do, which
  keeps it from correlating with the exponent), Normal(log(1/terms), 1.5);
- a **floor** (a parameter standing alone as a term of a sum whose terms are all added, like
  ``E``) lies below the smallest observed target: the sampler sees ``E_logit``, the logit of E
  over that smallest value, Normal(1, 1.5);
- any other parameter is sampled as written, Normal(0, 2).

An amplitude or floor must appear once in the formula. ``priors={"alpha": ..., "A_share": ...}``
overrides any of them by its sampler name (an unknown name lists the valid ones).
"""

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from workbench.laws import elementwise as m
from workbench.laws.base import ScalingLaw
from workbench.laws.priors import Prior

MAX_LENGTH = 1000
"""Characters a formula may have: parsing and every evaluation stay small."""
MAX_DEPTH = 40
"""Nesting (parentheses, calls, unary minus, powers) a formula may have; the parser recurses
once per level, far below Python's recursion limit."""
BASE_COVARIATES = ("N", "D", "C")
FUNCTIONS = {"exp": (1, 1), "log": (1, 1), "sqrt": (1, 1), "min": (2, None), "max": (2, None)}
"""Function name: (fewest, most) arguments."""
RESERVED = frozenset({"sigma", "nu", "run_sd", "log_target", "log_y", "centre_y", "y", "y_min"})
"""Names the model or the centres use for themselves."""
EXPONENT_PRIOR = Prior("LogNormal", mu=float(np.log(0.3)), sigma=0.7)
FLOOR_PRIOR = Prior("Normal", mu=1.0, sigma=1.5)
OTHER_PRIOR = Prior("Normal", mu=0.0, sigma=2.0)
AMPLITUDE_SIGMA = 1.5
ALIASES = {"−": "-", "×": "*", "·": "*", "÷": "/"}
NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class FormulaError(ValueError):
    """A formula that cannot be read, in one sentence that points at the character."""

    def __init__(self, text: str, problem: str, position: int | None = None):
        self.text, self.problem, self.position = text, problem, position
        where = ""
        if position is not None:
            where = (
                f" at character {position + 1}, the end"
                if position >= len(text)
                else f" at character {position + 1} ({text[position]!r})"
            )
        super().__init__(f"formula {_shown(text)}: {problem}{where}")


def _shown(text: str) -> str:
    """The text on one line (every unprintable character a space), shortened when long."""
    printable = "".join(character if character.isprintable() else " " for character in text)
    if len(printable) > 80:
        printable = printable[:77] + "..."
    return '"' + printable.replace('"', "'") + '"'


# -- the expression tree -------------------------------------------------------------------
@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Negative:
    operand: object


@dataclass(frozen=True)
class Power:
    base: object
    exponent: object


@dataclass(frozen=True)
class Sum:
    """Terms with their signs, ``(("+", a), ("-", b))``: a − b. The first sign is ``+``."""

    terms: tuple


@dataclass(frozen=True)
class Product:
    """Factors with their operators, ``(("*", a), ("/", b))``: a / b."""

    factors: tuple


@dataclass(frozen=True)
class Call:
    function: str
    arguments: tuple


# -- parsing ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Token:
    kind: str  # "number", "name", "op" or "end"
    text: str
    position: int


def tokenize(text: str) -> list[Token]:
    tokens, position = [], 0
    while position < len(text):
        character = text[position]
        if character.isspace():
            position += 1
            continue
        number = NUMBER.match(text, position) if character.isdigit() or character == "." else None
        if number:
            tokens.append(Token("number", number.group(), position))
            position = number.end()
            continue
        name = NAME.match(text, position)
        if name:
            tokens.append(Token("name", name.group(), position))
            position = name.end()
            continue
        if text.startswith("**", position):
            tokens.append(Token("op", "**", position))
            position += 2
            continue
        operator = ALIASES.get(character, character)
        if operator == "^":
            operator = "**"
        if operator not in ("+", "-", "*", "/", "**", "(", ")", ","):
            raise FormulaError(text, "unexpected character", position)
        tokens.append(Token("op", operator, position))
        position += 1
    tokens.append(Token("end", "", len(text)))
    return tokens


class _Parser:
    """Recursive descent over the tokens; ``depth`` bounds the recursion."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def fail(self, problem: str, token: Token | None = None):
        raise FormulaError(self.text, problem, (token or self.current).position)

    def take(self, *operators: str) -> Token | None:
        token = self.current
        if token.kind == "op" and token.text in operators:
            self.index += 1
            return token
        return None

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(f"the formula nests deeper than {MAX_DEPTH} levels")

    def formula(self):
        if self.current.kind == "end":
            self.fail("the formula is empty; write one such as E + A*N**-alpha")
        tree = self.sum()
        if self.current.kind != "end":
            self.fail("expected an operator (+ - * / ** ^) or the end")
        return tree

    def sum(self):
        terms = [("+", self.product())]
        while (token := self.take("+", "-")) is not None:
            terms.append((token.text, self.product()))
        return terms[0][1] if len(terms) == 1 else Sum(tuple(terms))

    def product(self):
        factors = [("*", self.unary())]
        while (token := self.take("*", "/")) is not None:
            factors.append((token.text, self.unary()))
        return factors[0][1] if len(factors) == 1 else Product(tuple(factors))

    def unary(self):
        if self.take("-") is not None:
            self.deeper()
            operand = self.unary()
            self.depth -= 1
            return Negative(operand)
        return self.power()

    def power(self):
        base = self.atom()
        if self.take("**") is None:
            return base
        self.deeper()
        exponent = self.unary()
        self.depth -= 1
        return Power(base, exponent)

    def atom(self):
        token = self.current
        if token.kind == "number":
            self.index += 1
            value = float(token.text)
            if not np.isfinite(value):
                self.fail("the number is too large", token)
            return Number(value)
        if token.kind == "name":
            self.index += 1
            if token.text in FUNCTIONS:
                return self.call(token)
            return Name(token.text)
        if self.take("(") is not None:
            self.deeper()
            inner = self.sum()
            self.depth -= 1
            if self.take(")") is None:
                self.fail('expected ")" to close the "(" of character ' + str(token.position + 1))
            return inner
        self.fail('expected a number, a name or "("')

    def call(self, function: Token):
        if self.take("(") is None:
            self.fail(f"{function.text} is a function: write {function.text}(...)", function)
        self.deeper()
        arguments = [self.sum()]
        while self.take(",") is not None:
            arguments.append(self.sum())
        self.depth -= 1
        if self.take(")") is None:
            self.fail(f'expected "," or ")" in the arguments of {function.text}')
        fewest, most = FUNCTIONS[function.text]
        if len(arguments) < fewest or (most is not None and len(arguments) > most):
            wanted = f"{fewest} argument" if most == 1 else f"at least {fewest} arguments"
            self.fail(f"{function.text} takes {wanted}, not {len(arguments)}", function)
        return Call(function.text, tuple(arguments))


def parse(text: str):
    """The expression tree of ``text``; a :class:`FormulaError` if it is not a formula."""
    if not isinstance(text, str):
        raise FormulaError(str(text)[:80], "a formula is text, such as E + A*N**-alpha")
    if len(text) > MAX_LENGTH:
        raise FormulaError(text, f"the formula is longer than {MAX_LENGTH} characters")
    return _Parser(text).formula()


# -- walking the tree ---------------------------------------------------------------------
def names(node) -> list[str]:
    """Every name the tree reads, in order of appearance, with repeats."""
    match node:
        case Name(name):
            return [name]
        case Number():
            return []
        case Negative(operand):
            return names(operand)
        case Power(base, exponent):
            return names(base) + names(exponent)
        case Sum(parts) | Product(parts):
            return [found for _, part in parts for found in names(part)]
        case Call(_, arguments):
            return [found for argument in arguments for found in names(argument)]
    raise TypeError(f"not a formula node: {node!r}")


def evaluate(node, values: Mapping):
    """The tree's value with ``values`` by name; NumPy or PyTensor alike."""
    match node:
        case Number(value):
            return np.float64(value)
        case Name(name):
            return values[name]
        case Negative(operand):
            return -evaluate(operand, values)
        case Power(base, exponent):
            return evaluate(base, values) ** evaluate(exponent, values)
        case Sum(terms):
            total = None
            for sign, term in terms:
                value = evaluate(term, values)
                total = (
                    value if total is None else (total + value if sign == "+" else total - value)
                )
            return total
        case Product(factors):
            result = None
            for operator, factor in factors:
                value = evaluate(factor, values)
                if operator == "*":
                    result = value if result is None else result * value
                else:
                    result = 1.0 / value if result is None else result / value
            return result
        case Call(function, arguments):
            values = [evaluate(argument, values) for argument in arguments]
            if function in ("min", "max"):
                combine = m.minimum if function == "min" else m.maximum
                result = values[0]
                for value in values[1:]:
                    result = combine(result, value)
                return result
            return {"exp": m.exp, "log": m.log, "sqrt": m.sqrt}[function](values[0])
    raise TypeError(f"not a formula node: {node!r}")


PRECEDENCE = {Sum: 1, Product: 2, Negative: 3, Power: 4}


def _precedence(node) -> int:
    return PRECEDENCE.get(type(node), 5)


def to_text(node) -> str:
    """Canonical text of a tree: ``parse(to_text(tree)) == tree``."""

    def wrapped(child, least: int) -> str:
        text = to_text(child)
        return f"({text})" if _precedence(child) < least else text

    match node:
        case Number(value):
            return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
        case Name(name):
            return name
        case Negative(operand):
            return "-" + wrapped(operand, 3)
        case Power(base, exponent):
            # The base binds tighter than a power (a power or negative base needs parentheses);
            # the exponent may be a unary minus or another power (right-associative).
            return f"{wrapped(base, 5)}**{wrapped(exponent, 3)}"
        case Sum(terms):
            first = wrapped(terms[0][1], 2)
            return first + "".join(f" {sign} {wrapped(term, 2)}" for sign, term in terms[1:])
        case Product(factors):
            first = wrapped(factors[0][1], 3)
            return first + "".join(f"{op}{wrapped(factor, 3)}" for op, factor in factors[1:])
        case Call(function, arguments):
            return f"{function}({', '.join(to_text(argument) for argument in arguments)})"
    raise TypeError(f"not a formula node: {node!r}")


GREEK = frozenset(
    [
        "alpha",
        "beta",
        "gamma",
        "delta",
        "epsilon",
        "zeta",
        "eta",
        "theta",
        "iota",
        "kappa",
        "lambda",
        "mu",
        "nu",
        "xi",
        "pi",
        "rho",
        "sigma",
        "tau",
        "upsilon",
        "phi",
        "chi",
        "psi",
        "omega",
    ]
)


def to_latex(node) -> str:
    """The tree in LaTeX, for the dashboard and notebooks."""

    def wrapped(child, least: int) -> str:
        text = to_latex(child)
        return rf"\left({text}\right)" if _precedence(child) < least else text

    match node:
        case Number():
            return to_text(node).replace("e", r"\times 10^{") + (
                "}" if "e" in to_text(node) else ""
            )
        case Name(name):
            stem, _, index = name.partition("_")
            stem = (
                rf"\{stem}"
                if stem in GREEK
                else (stem if len(stem) == 1 else rf"\mathrm{{{stem}}}")
            )
            return f"{stem}_{{{index}}}" if index else stem
        case Negative(operand):
            return "-" + wrapped(operand, 3)
        case Power(base, exponent):
            return f"{{{wrapped(base, 5)}}}^{{{to_latex(exponent)}}}"
        case Sum(terms):
            first = wrapped(terms[0][1], 2)
            return first + "".join(f" {sign} {wrapped(term, 2)}" for sign, term in terms[1:])
        case Product(factors):
            first = wrapped(factors[0][1], 3)
            rest = [
                (r"\," if op == "*" else " / ") + wrapped(factor, 3) for op, factor in factors[1:]
            ]
            return first + "".join(rest)
        case Call(function, arguments):
            if function == "sqrt":
                return rf"\sqrt{{{to_latex(arguments[0])}}}"
            inner = ", ".join(to_latex(argument) for argument in arguments)
            return rf"\{function}\left({inner}\right)"
    raise TypeError(f"not a formula node: {node!r}")


# -- roles of parameters ------------------------------------------------------------------
@dataclass(frozen=True)
class Roles:
    """What each parameter does in the formula, which sets its prior and sampler scale."""

    exponents: tuple[str, ...] = ()
    floors: tuple[str, ...] = ()
    amplitudes: dict = field(default_factory=dict)
    """Amplitude name: the rest of its term (the term divided by the amplitude)."""
    n_terms: int = 1


def _exponent_parameter(exponent, parameters) -> str | None:
    """The parameter of a simple exponent: ``alpha``, ``-alpha``, ``-alpha/2``, ``0.5*alpha``."""
    while isinstance(exponent, Negative):
        exponent = exponent.operand
    if isinstance(exponent, Name) and exponent.name in parameters:
        return exponent.name
    if isinstance(exponent, Product):
        found = [factor for _, factor in exponent.factors if not isinstance(factor, Number)]
        if len(found) == 1 and exponent.factors[0][1] is found[0]:
            return _exponent_parameter(found[0], parameters)
    return None


def _exponents(node, covariates, parameters) -> set[str]:
    found = set()
    match node:
        case Power(base, exponent):
            name = _exponent_parameter(exponent, parameters)
            if name and set(names(base)) & set(covariates):
                found.add(name)
            found |= _exponents(base, covariates, parameters)
            found |= _exponents(exponent, covariates, parameters)
        case Negative(operand):
            found |= _exponents(operand, covariates, parameters)
        case Sum(parts) | Product(parts):
            for _, part in parts:
                found |= _exponents(part, covariates, parameters)
        case Call(_, arguments):
            for argument in arguments:
                found |= _exponents(argument, covariates, parameters)
    return found


def assign_roles(tree, covariates, parameters) -> Roles:
    counts = Counter(name for name in names(tree) if name in parameters)
    exponents = _exponents(tree, covariates, parameters)
    terms = tree.terms if isinstance(tree, Sum) else (("+", tree),)
    all_added = all(sign == "+" and not isinstance(term, Negative) for sign, term in terms)
    single = {name for name, count in counts.items() if count == 1} - exponents
    floors, amplitudes = [], {}
    for sign, term in terms:
        if all_added and isinstance(term, Name) and term.name in single:
            floors.append(term.name)
        elif sign == "+" and isinstance(term, Product):
            bare = [
                index
                for index, (operator, factor) in enumerate(term.factors)
                if operator == "*" and isinstance(factor, Name) and factor.name in single
            ]
            rest = tuple(part for index, part in enumerate(term.factors) if index not in bare)
            if len(bare) == 1 and set(names(Product(rest))) & set(covariates):
                amplitude = term.factors[bare[0]][1].name
                amplitudes[amplitude] = (
                    rest[0][1] if len(rest) == 1 and rest[0][0] == "*" else (Product(rest))
                )
    return Roles(
        exponents=tuple(name for name in parameters if name in exponents),
        floors=tuple(floors),
        amplitudes=amplitudes,
        n_terms=len(terms),
    )


# -- the law -------------------------------------------------------------------------------
@dataclass(frozen=True, init=False)
class FormulaLaw(ScalingLaw):
    r"""A law written as a formula, e.g. ``FormulaLaw("E + A*N**-alpha + B*D**-beta")``.

    ``covariates`` declares names other than N, D and C that the formula reads from the run
    table (``covariates=("P",)``); N, D and C are always covariates, and every other name is a
    parameter. See the module docstring for the grammar and the default priors.

    .. math::

        L(x) = f(x; \theta)

    References
    ----------
    None: the user's own law.
    """

    name = "formula"
    reference = "the user's own formula"
    plain_formula = "any formula in N, D, C and run-table columns (`formula:...`)"
    purpose = "a law the user writes"
    falls_with_scale = False
    expression: str = ""
    covariates: tuple[str, ...] = ()

    def __init__(self, expression: str = "", covariates=()):
        object.__setattr__(self, "expression", expression)
        object.__setattr__(self, "covariates", covariates)
        self.__post_init__()

    def __post_init__(self):
        tree = parse(self.expression)
        declared = tuple(self.covariates or ())
        for covariate in declared:
            if not isinstance(covariate, str) or not NAME.fullmatch(covariate):
                raise FormulaError(self.expression, f"covariate {covariate!r} is not a name")
        used = list(dict.fromkeys(names(tree)))
        known = (*BASE_COVARIATES, *declared)
        unused = [name for name in declared if name not in used]
        if unused:
            raise FormulaError(
                self.expression, f"declared covariate {unused[0]!r} does not appear in it"
            )
        covariates = tuple(dict.fromkeys(n for n in known if n in used))
        parameters = tuple(name for name in used if name not in covariates)
        for name in (*covariates, *parameters):
            if name in RESERVED or name.startswith(("x_", "centre_")):
                raise FormulaError(
                    self.expression, f"the name {name!r} is used by the model itself; rename it"
                )
        if not covariates:
            raise FormulaError(
                self.expression,
                "it reads no covariate: use N, D or C, or declare a column with covariates=",
            )
        if not parameters:
            raise FormulaError(self.expression, "it has no parameter to fit")
        roles = assign_roles(tree, covariates, parameters)
        sampler_names = {name: name for name in parameters}
        sampler_names |= {name: f"{name}_logit" for name in roles.floors}
        sampler_names |= {name: f"{name}_share" for name in roles.amplitudes}
        taken = [
            sampled
            for name, sampled in sampler_names.items()
            if sampled != name and sampled in used
        ]
        if taken:
            raise FormulaError(
                self.expression, f"the name {taken[0]!r} is the sampler's own; rename it"
            )
        object.__setattr__(self, "expression", to_text(tree))
        object.__setattr__(self, "covariates", covariates)
        object.__setattr__(self, "_tree", tree)
        object.__setattr__(self, "_parameters", parameters)
        object.__setattr__(self, "_roles", roles)
        object.__setattr__(self, "_sampler_names", sampler_names)

    # -- description --------------------------------------------------------------------
    @property
    def parameters(self) -> tuple[str, ...]:
        return self._parameters

    @property
    def roles(self) -> Roles:
        return self._roles

    @property
    def formula(self) -> str:
        """The formula in LaTeX."""
        return "L = " + to_latex(self._tree)

    @property
    def options(self) -> dict:
        return {"expression": self.expression, "covariates": list(self.covariates)}

    @property
    def label(self) -> str:
        extra = [name for name in self.covariates if name not in BASE_COVARIATES]
        suffix = f" (covariates {', '.join(self.covariates)})" if extra else ""
        return f"formula:{self.expression}{suffix}"

    # -- math -------------------------------------------------------------------------------
    def curve(self, x, params):
        return evaluate(self._tree, {**params, **{name: x[name] for name in self.covariates}})

    def centres(self, x, y):
        centres = super().centres(x, y)
        centres["y_min"] = float(np.log(np.min(y)))
        return centres

    def model_centres(self) -> tuple[str, ...]:
        """The centres the model graph reads (each a data container): all of them."""
        return ("y", "y_min", *self.covariates)

    def log_mean(self, x_centred, theta, centres):
        x = {name: m.exp(x_centred[name] + centres[name]) for name in self.covariates}
        params = self._paper(theta, centres)
        return m.log(evaluate(self._tree, {**params, **x}))

    def _paper(self, theta, centres) -> dict:
        roles, sampled = self._roles, self._sampler_names
        params = {
            name: theta[sampled[name]]
            for name in self._parameters
            if name not in roles.floors and name not in roles.amplitudes
        }
        for name in roles.floors:
            params[name] = m.exp(centres["y_min"]) * m.sigmoid(theta[sampled[name]])
        centre = {name: m.exp(centres[name]) for name in self.covariates}
        for name, rest in roles.amplitudes.items():
            at_centre = evaluate(rest, {**params, **centre})
            params[name] = m.exp(theta[sampled[name]] + centres["y"]) / at_centre
        return params

    def to_paper(self, theta, centres):
        return self._paper(theta, centres)

    def from_paper(self, params, centres):
        roles, sampled = self._roles, self._sampler_names
        theta = {
            sampled[name]: params[name]
            for name in self._parameters
            if name not in roles.floors and name not in roles.amplitudes
        }
        for name in roles.floors:
            fraction = np.asarray(params[name]) / np.exp(centres["y_min"])
            theta[sampled[name]] = np.log(fraction) - np.log1p(-fraction)
        centre = {name: np.exp(centres[name]) for name in self.covariates}
        for name, rest in roles.amplitudes.items():
            at_centre = evaluate(rest, {**params, **centre})
            theta[sampled[name]] = np.log(params[name] * at_centre) - centres["y"]
        return theta

    def default_priors(self) -> dict[str, Prior]:
        roles = self._roles
        amplitude = Prior("Normal", mu=float(-np.log(roles.n_terms)), sigma=AMPLITUDE_SIGMA)
        priors = {}
        for name in self._parameters:
            if name in roles.exponents:
                priors[name] = EXPONENT_PRIOR
            elif name in roles.floors:
                priors[self._sampler_names[name]] = FLOOR_PRIOR
            elif name in roles.amplitudes:
                priors[self._sampler_names[name]] = amplitude
            else:
                priors[name] = OTHER_PRIOR
        return priors
