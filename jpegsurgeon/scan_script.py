"""Scan scripts: the layout of a JPEG's scans as data.

A scan script lists the scans a writer emits, in order: which frame
components each scan holds and its spectral selection (Ss..Se) and successive
approximation (Ah, Al) parameters.  This module reads and writes jpegtran's
`-scans` text syntax, checks a script against the rules libjpeg's encoder
enforces (plus full coefficient coverage, which a lossless rewrite needs),
and builds the scripts libjpeg uses by default.

The syntax follows libjpeg's rdswitch.c (read_scan_script) byte for byte:
entries such as ``0 1 2: 0 0 0 1;`` hold one to four component indexes,
optionally a colon and ``Ss Se Ah Al``; entries are separated by ``;`` (the
last may omit it); ``#`` starts a comment running to the end of the line; and
any single non-digit, non-space character other than ``:`` and ``;`` may sit
between two numbers (``0,1,2: 0-63, 0, 0``).  The checks follow jcmaster.c
(validate_script and per_scan_setup) and T.81 G.1.1.1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "ScanScriptError",
    "ScanSpec",
    "format_scan_script",
    "parse_scan_script",
    "sequential_script",
    "simple_progression",
    "validate_scan_script",
]

# Limits libjpeg applies (jpeglib.h, jpegint.h, rdswitch.c).
MAX_COMPS_IN_SCAN = 4  # T.81 B.2.3: Ns is 1 to 4
MAX_BLOCKS_IN_MCU = 10  # T.81 B.2.3: sum of H*V over an interleaved scan
MAX_SCANS = 100  # rdswitch.c's array size; a script file cannot hold more
LAST_COEFFICIENT = 63  # zigzag index of the last coefficient of an 8x8 block


class ScanScriptError(ValueError):
    """A scan script that cannot be read or used: the message names its line and the rule.

    `line` is the 1-based script line when known; `scan` the 1-based scan position
    when the error concerns one scan.
    """

    def __init__(self, message: str, line: int | None = None, scan: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.scan = scan


@dataclass(frozen=True)
class ScanSpec:
    """One scan: frame component indexes (in frame order) and Ss, Se, Ah, Al.

    `line` records where the scan was written in a script; it is provenance, not
    content, so it takes no part in equality or hashing.
    """

    components: tuple[int, ...]
    ss: int = 0
    se: int = LAST_COEFFICIENT
    ah: int = 0
    al: int = 0
    line: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # Accept any iterable of indexes but store a tuple, so scans stay hashable.
        object.__setattr__(self, "components", tuple(int(c) for c in self.components))

    @property
    def is_dc(self) -> bool:
        """True for a progressive DC scan (Ss = Se = 0)."""
        return self.ss == 0 and self.se == 0

    def as_dict(self) -> dict[str, object]:
        """The scan as plain JSON-ready data (without the script line)."""
        return {
            "components": list(self.components),
            "ss": self.ss,
            "se": self.se,
            "ah": self.ah,
            "al": self.al,
        }


# --------------------------------------------------------------------------
# Reading jpegtran syntax


_EOF = -1
_NEWLINE = 0x0A
_HASH = 0x23
_COLON = 0x3A
_SEMICOLON = 0x3B
_SPACE = 0x20
_C_SPACE = frozenset(b" \t\n\v\f\r")  # isspace() in the C locale


def _is_digit(ch: int) -> bool:
    return 0x30 <= ch <= 0x39


class _Reader:
    """Bytes read one at a time the way rdswitch.c reads its FILE, counting lines."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0
        self.line = 1  # line of the next byte
        self.char_line = 1  # line of the byte last returned

    def _raw(self) -> int:
        if self.pos >= len(self.data):
            self.char_line = self.line
            return _EOF
        ch = self.data[self.pos]
        self.pos += 1
        self.char_line = self.line
        if ch == _NEWLINE:
            self.line += 1
        return ch

    def getc(self) -> int:
        """Next byte; a comment reads as the newline (or end) that closes it."""
        ch = self._raw()
        if ch == _HASH:
            while ch not in (_NEWLINE, _EOF):
                ch = self._raw()
        return ch

    def unget_digit(self) -> None:
        # Only digits are pushed back, so the line count needs no repair.
        self.pos -= 1


@dataclass
class _Number:
    value: int | None  # None when no number was found
    term: int  # ' ', ':', ';' or _EOF as rdswitch.c reports it
    found: int  # the byte actually met, for messages
    line: int  # where the number started, or where reading stopped


def _read_number(reader: _Reader) -> _Number:
    """One unsigned decimal and the punctuation after it, as read_scan_integer does."""
    ch = reader.getc()
    while ch != _EOF and ch in _C_SPACE:
        ch = reader.getc()
    if not _is_digit(ch):
        return _Number(None, ch, ch, reader.char_line)
    start_line = reader.char_line
    value = 0
    while _is_digit(ch):
        value = value * 10 + ch - 0x30
        ch = reader.getc()
    while ch != _EOF and ch in _C_SPACE:
        ch = reader.getc()
    found = ch
    if _is_digit(ch):
        # The next number starts here: read it again next time, report a blank.
        reader.unget_digit()
        ch = _SPACE
    elif ch not in (_EOF, _SEMICOLON, _COLON):
        # Any other single character separates numbers, like a blank (a comma, a dash).
        ch = _SPACE
    return _Number(value, ch, found, start_line)


def _describe(ch: int) -> str:
    if ch == _EOF:
        return "the end of the script"
    if 0x21 <= ch <= 0x7E:
        return f"'{chr(ch)}'"
    return f"byte 0x{ch:02x}"


def _syntax(line: int, problem: str) -> ScanScriptError:
    return ScanScriptError(f"line {line}: {problem}", line=line)


_PARAMETERS = ("Ss", "Se", "Ah", "Al")


def parse_scan_script(text: str) -> list[ScanSpec]:
    """Read a script in jpegtran's `-scans` syntax into scans, in order.

    Accepts exactly what libjpeg's read_scan_script accepts.  Syntax only: use
    `validate_scan_script` for the JPEG rules.  An empty script (or one holding
    only comments) gives an empty list.
    """
    # rdswitch.c reads bytes; a non-ASCII character is several separators to it.
    reader = _Reader(text.encode("utf-8", "surrogateescape"))
    scans: list[ScanSpec] = []
    while True:
        first = _read_number(reader)
        if first.value is None:
            if first.term != _EOF:
                raise _syntax(
                    first.line,
                    f"expected a component index to start a scan, found {_describe(first.found)}",
                )
            return scans
        if len(scans) >= MAX_SCANS:
            raise _syntax(first.line, f"more than {MAX_SCANS} scans (jpegtran's limit)")
        components = [first.value]
        number = first
        while number.term == _SPACE:
            if len(components) >= MAX_COMPS_IN_SCAN:
                raise _syntax(
                    number.line,
                    f"more than {MAX_COMPS_IN_SCAN} components in one scan (T.81 B.2.3)",
                )
            number = _read_number(reader)
            if number.value is None:
                raise _syntax(
                    number.line,
                    f"expected a component index after a separator, found "
                    f"{_describe(number.found)} (one separator between numbers)",
                )
            components.append(number.value)
        if number.term == _COLON:
            values = []
            for position, name in enumerate(_PARAMETERS):
                number = _read_number(reader)
                if number.value is None:
                    raise _syntax(
                        number.line, f"expected {name} here, found {_describe(number.found)}"
                    )
                values.append(number.value)
                if position < 3 and number.term != _SPACE:
                    raise _syntax(
                        number.line,
                        f"{name} must be followed by {_PARAMETERS[position + 1]}, "
                        f"found {_describe(number.found)} (a scan's ':' takes Ss Se Ah Al)",
                    )
            ss, se, ah, al = values
        else:
            ss, se, ah, al = 0, LAST_COEFFICIENT, 0, 0
        if number.term not in (_SEMICOLON, _EOF):
            raise _syntax(
                number.line,
                f"expected ';' to end the scan, found {_describe(number.found)}",
            )
        scans.append(ScanSpec(tuple(components), ss, se, ah, al, line=first.line))


# --------------------------------------------------------------------------
# Writing jpegtran syntax


def format_scan_script(scans: Iterable[ScanSpec]) -> str:
    """The scans in jpegtran's `-scans` syntax, one ``c c c: Ss Se Ah Al;`` per line."""
    lines = []
    for number, scan in enumerate(scans, 1):
        values = (*scan.components, scan.ss, scan.se, scan.ah, scan.al)
        if not 1 <= len(scan.components) <= MAX_COMPS_IN_SCAN or min(values) < 0:
            raise ScanScriptError(
                f"scan {number}: cannot be written as a jpegtran script: it needs 1 to "
                f"{MAX_COMPS_IN_SCAN} components and no negative numbers",
                scan=number,
            )
        indexes = " ".join(str(c) for c in scan.components)
        lines.append(f"{indexes}: {scan.ss} {scan.se} {scan.ah} {scan.al};\n")
    return "".join(lines)


# --------------------------------------------------------------------------
# Checking a script


def _where(scan: ScanSpec, number: int) -> str:
    return f"line {scan.line}" if scan.line is not None else f"scan {number}"


def _ranges(indexes: Sequence[int]) -> str:
    """Coefficient indexes as compact ranges: 1-5, 9, 12-63."""
    parts = []
    start = prev = indexes[0]
    for k in [*indexes[1:], None]:
        if k is not None and k == prev + 1:
            prev = k
            continue
        parts.append(f"{start}-{prev}" if prev != start else str(start))
        if k is not None:
            start = prev = k
    return ", ".join(parts)


def _failure(scan: ScanSpec, number: int) -> Callable[[str], ScanScriptError]:
    """A maker of errors located at this scan."""

    def fail(rule: str) -> ScanScriptError:
        return ScanScriptError(f"{_where(scan, number)}: {rule}", line=scan.line, scan=number)

    return fail


def validate_scan_script(
    scans: Sequence[ScanSpec],
    sampling: Sequence[tuple[int, int]],
    *,
    precision: int = 8,
    complete: bool = True,
) -> bool:
    """Check a script for a frame whose components have these (h, v) sampling factors.

    Returns True when the script is progressive.  Raises ScanScriptError, naming
    the scan's line (or position) and the rule, on the first problem found.

    The checks are libjpeg's (jcmaster.c): the first scan decides the mode
    (progressive when Ss != 0 or Se != 63); interleaved scans hold at most 10
    blocks per MCU.  With `complete` (the default) every bit of every coefficient
    of every component must be sent, as a rewrite that loses no data needs;
    libjpeg only demands some DC data per component, which `complete=False` gives.
    `precision` 12 allows Ah and Al up to 13 instead of 10.
    """
    if not scans:
        raise ScanScriptError("the scan script holds no scans; it needs at least one")
    count = len(sampling)
    max_bit = 13 if precision == 12 else 10  # libjpeg's bound on Ah and Al
    first = scans[0]
    progressive = first.ss != 0 or first.se != LAST_COEFFICIENT
    first_where = _where(first, 1)
    # Progressive: the Al each coefficient was last sent with, None until sent.
    last_al: list[list[int | None]] = [[None] * 64 for _ in range(count)]
    # Sequential: where each component was sent.
    sent_in: list[str | None] = [None] * count

    for number, scan in enumerate(scans, 1):
        where = _where(scan, number)
        fail = _failure(scan, number)
        comps = scan.components
        if not 1 <= len(comps) <= MAX_COMPS_IN_SCAN:
            raise fail(
                f"a scan must hold 1 to {MAX_COMPS_IN_SCAN} components, not {len(comps)} "
                "(T.81 B.2.3)"
            )
        for position, c in enumerate(comps):
            if not 0 <= c < count:
                raise fail(
                    f"component index {c} is out of range: the frame has {count} "
                    f"component{'s' if count != 1 else ''}, indexes 0 to {count - 1}"
                )
            if position and c == comps[position - 1]:
                raise fail(f"component {c} appears twice in one scan (T.81 B.2.3)")
            if position and c < comps[position - 1]:
                raise fail(
                    f"components must be listed in frame order, but {c} follows "
                    f"{comps[position - 1]} (T.81 B.2.3)"
                )
        if len(comps) > 1:
            blocks = sum(sampling[c][0] * sampling[c][1] for c in comps)
            if blocks > MAX_BLOCKS_IN_MCU:
                raise fail(
                    f"interleaved scan has {blocks} blocks per MCU; at most "
                    f"{MAX_BLOCKS_IN_MCU} are allowed (T.81 B.2.3)"
                )

        ss, se, ah, al = scan.ss, scan.se, scan.ah, scan.al
        if not progressive:
            if (ss, se, ah, al) != (0, LAST_COEFFICIENT, 0, 0):
                raise fail(
                    f"the script is sequential (its first scan, {first_where}, has Ss=0 Se=63), "
                    f"so every scan needs Ss=0 Se=63 Ah=0 Al=0, not {ss} {se} {ah} {al}"
                )
            for c in comps:
                if sent_in[c] is not None:
                    raise fail(
                        f"component {c} was already sent ({sent_in[c]}); a sequential "
                        "script sends each component exactly once"
                    )
                sent_in[c] = where
            continue

        if not 0 <= ss <= LAST_COEFFICIENT:
            raise fail(f"Ss must be 0 to 63, not {ss} (T.81 B.2.3)")
        if not ss <= se <= LAST_COEFFICIENT:
            raise fail(f"Se must be from Ss ({ss}) to 63, not {se} (T.81 B.2.3)")
        for name, bit in (("Ah", ah), ("Al", al)):
            if not 0 <= bit <= max_bit:
                raise fail(
                    f"{name} must be 0 to {max_bit} for {precision}-bit samples, not {bit} "
                    "(libjpeg's bound; T.81 B.2.3 allows 13)"
                )
        if ss == 0 and se != 0:
            raise fail(
                f"the script is progressive (its first scan, {first_where}, is not Ss=0 Se=63), "
                f"so a DC scan (Ss=0) must have Se=0, not {se}: DC and AC coefficients "
                "go in separate scans (T.81 G.1.1.1.1)"
            )
        if ss != 0 and len(comps) != 1:
            raise fail("AC scan must hold one component (T.81 G.1.1.1.1)")
        for c in comps:
            bits = last_al[c]
            if ss != 0 and bits[0] is None:
                raise fail(
                    f"AC scan of component {c} comes before any DC scan of it (T.81 G.1.1.1.1)"
                )
            for k in range(ss, se + 1):
                previous = bits[k]
                if previous is None:
                    if ah != 0:
                        raise fail(
                            f"first scan of coefficient {k} of component {c} must have Ah=0, "
                            f"not {ah} (T.81 G.1.1.1.2)"
                        )
                elif previous == 0:
                    raise fail(
                        f"coefficient {k} of component {c} is already complete (sent down "
                        "to Al=0); no later scan may send it again (T.81 G.1.1.1.2)"
                    )
                elif ah != previous:
                    raise fail(
                        f"coefficient {k} of component {c} was last sent with Al={previous}, "
                        f"so this refinement needs Ah={previous}, not {ah} (T.81 G.1.1.1.2)"
                    )
                elif al != ah - 1:
                    raise fail(
                        f"a refinement scan sends one bit: with Ah={ah} it needs "
                        f"Al={ah - 1}, not {al} (T.81 G.1.1.1.2)"
                    )
                bits[k] = al

    end = f"end of script (after {_where(scans[-1], len(scans))})"
    if not progressive:
        for c, place in enumerate(sent_in):
            if place is None:
                raise ScanScriptError(
                    f"{end}: component {c} is never sent; a sequential script sends "
                    "each component exactly once"
                )
        return False
    for c, bits in enumerate(last_al):
        if bits[0] is None:
            raise ScanScriptError(f"{end}: component {c} never gets a DC scan")
    if complete:
        for c, bits in enumerate(last_al):
            missing = [k for k in range(64) if bits[k] is None]
            if missing:
                raise ScanScriptError(
                    f"{end}: coefficients {_ranges(missing)} of component {c} are never "
                    "sent (every coefficient covered)"
                )
            unfinished = [b for b in bits if b]
            if unfinished:
                bit = unfinished[0]
                short = [k for k in range(64) if bits[k] == bit]
                raise ScanScriptError(
                    f"{end}: coefficients {_ranges(short)} of component {c} stop at "
                    f"Al={bit}; refinement scans must bring them down to Al=0 "
                    "(every coefficient covered)"
                )
    return True


# --------------------------------------------------------------------------
# Standard scripts


def _each(count: int, ss: int, se: int, ah: int, al: int) -> list[ScanSpec]:
    return [ScanSpec((c,), ss, se, ah, al) for c in range(count)]


def _dc(count: int, ah: int, al: int) -> list[ScanSpec]:
    # One interleaved DC scan when the components fit in a scan, else one each.
    if count <= MAX_COMPS_IN_SCAN:
        return [ScanSpec(tuple(range(count)), 0, 0, ah, al)]
    return _each(count, 0, 0, ah, al)


def simple_progression(component_count: int, ycbcr: bool) -> list[ScanSpec]:
    """The progressive script libjpeg's jpeg_simple_progression makes (`jpegtran -progressive`).

    Three YCbCr components get libjpeg's tuned 10-scan script; anything else
    the all-purpose one (2 DC scans and 4 AC scans per component).
    """
    if component_count < 1:
        raise ValueError(f"a frame has at least one component, not {component_count}")
    if component_count == 3 and ycbcr:
        return [
            *_dc(3, 0, 1),
            ScanSpec((0,), 1, 5, 0, 2),  # some luma detail early
            ScanSpec((2,), 1, 63, 0, 1),  # chroma is small: few scans for it
            ScanSpec((1,), 1, 63, 0, 1),
            ScanSpec((0,), 6, 63, 0, 2),
            ScanSpec((0,), 1, 63, 2, 1),
            *_dc(3, 1, 0),
            ScanSpec((2,), 1, 63, 1, 0),
            ScanSpec((1,), 1, 63, 1, 0),
            ScanSpec((0,), 1, 63, 1, 0),  # the largest scan last
        ]
    n = component_count
    return [
        *_dc(n, 0, 1),
        *_each(n, 1, 5, 0, 2),
        *_each(n, 6, 63, 0, 2),
        *_each(n, 1, 63, 2, 1),
        *_dc(n, 1, 0),
        *_each(n, 1, 63, 1, 0),
    ]


def sequential_script(component_count: int, interleaved: bool = True) -> list[ScanSpec]:
    """A sequential script: one scan of all components (libjpeg's default) or one scan each.

    An interleaved scan still has to fit in 10 blocks per MCU; `validate_scan_script`
    checks that against the sampling factors.
    """
    if component_count < 1:
        raise ValueError(f"a frame has at least one component, not {component_count}")
    if not interleaved:
        return _each(component_count, 0, LAST_COEFFICIENT, 0, 0)
    if component_count > MAX_COMPS_IN_SCAN:
        raise ValueError(
            f"{component_count} components cannot share one scan (at most {MAX_COMPS_IN_SCAN})"
        )
    return [ScanSpec(tuple(range(component_count)))]
