"""What the audit rules look at, gathered once per file."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..codecs import CodecResult, resolve_codecs, round_trips
from ..errors import JpegError
from ..limits import DEFAULT_LIMITS, Limits
from ..model import JpegImage, Segment
from ..parser import parse_partial


@dataclass
class Facts:
    data: bytes
    cycles: int = 3
    limits: Limits = DEFAULT_LIMITS
    codecs: tuple[str, ...] = ("lepton",)  # the round trips the audit runs and reports
    lepton_cpp: str | None = None
    image: JpegImage | None = field(init=False, default=None)
    segments: list[Segment] = field(init=False, default_factory=list)
    error: JpegError | None = field(init=False, default=None)
    _runs: dict[str, CodecResult] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        from ..decoder import decode

        self.image, self.segments, self.error = parse_partial(self.data, self.limits)
        if self.image is not None:
            try:
                decode(self.image, self.data)
            except JpegError as error:
                self.image, self.error = None, error

    @cached_property
    def codec_results(self) -> dict[str, CodecResult]:
        """Every chosen codec's round trip, run side by side, once per file
        (with those `codec_result` ran on its own before)."""
        codecs = resolve_codecs(self.codecs, lepton_cpp=self.lepton_cpp)
        missing = [c for c in codecs if c.name not in self._runs]
        if missing:
            self._runs.update(
                round_trips(self.data, missing, self.cycles, self.limits.max_lepton_bytes)
            )
        return self._runs

    def codec_result(self, name: str) -> CodecResult:
        """One codec's round trip, run now if it has not run; a codec that is
        not among those chosen runs alone, without theirs."""
        if name not in self._runs and ("all" in self.codecs or name in self.codecs):
            self.codec_results  # noqa: B018 - runs the chosen codecs side by side
        if name not in self._runs:
            codec = resolve_codecs([name], lepton_cpp=self.lepton_cpp)[0]
            self._runs[name] = round_trips(
                self.data, [codec], self.cycles, self.limits.max_lepton_bytes
            )[name]
        return self._runs[name]

    @property
    def lepton_results(self) -> list[CodecResult]:
        """The round trips of the Lepton codecs chosen (lepton-rust when none was)."""
        names = [n for n in self.codec_results if n.startswith("lepton")] or ["lepton"]
        return [self.codec_result(n) for n in names]

    @cached_property
    def huffman_overhead(self) -> tuple[int, int] | None:
        """(bits coded with the file's tables, bits with optimal ones) of a
        sequential file's Huffman symbols; None when it does not apply."""
        from .. import _entropy
        from ..decoder import scan_layout
        from ..huffman import encode_arrays, optimal_table

        image = self.image
        if image is None or image.frame.progressive or image.frame.precision != 8:
            return None
        actual = optimal = 0
        for scan in image.scans:
            slots, wide, high = scan_layout(image.frame, scan.component_indexes)
            arrays = tuple(
                image.components[i].coefficients.reshape(-1, 64) for i in scan.component_indexes
            )
            counts = {}
            for table_class, ids in ((0, scan.dc_table_ids), (1, scan.ac_table_ids)):
                for table_id in ids:
                    counts.setdefault((table_class, table_id), np.zeros(257, np.int64))
            try:
                _entropy.encode_scan(
                    arrays, slots, wide, high, scan.restart_interval, _entropy.ScanKind.SEQUENTIAL,
                    0, 63, 0, 0,
                    tuple(counts[(0, t)] for t in scan.dc_table_ids),
                    tuple(counts[(1, t)] for t in scan.ac_table_ids),
                    14, 1, True,
                )  # fmt: skip
            except _entropy.EncodeError:  # corrupt data decoded to values no table codes
                return None
            for key, freq in counts.items():
                table = scan.huffman_tables.get(key)
                if table is None:
                    return None
                sizes = encode_arrays(table)[1].astype(np.int64)
                best = encode_arrays(optimal_table(freq, *key))[1].astype(np.int64)
                actual += int((freq[:256] * sizes).sum())
                optimal += int((freq[:256] * best).sum())
        return actual, optimal
