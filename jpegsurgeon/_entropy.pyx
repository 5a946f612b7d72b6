# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Bit-level Huffman coding of DCT coefficients: the compiled hot loops.

Decoding follows libjpeg(-turbo) to the bit, including how it treats damaged
data, because libjpeg's coefficients are the oracle: bits missing at a marker
or at the end of the file read as zeros, once that has happened the rest of
the restart interval is left untouched, and restart markers that are missing
or out of order are resynchronised the way jpeg_resync_to_restart does it.

Python hands in plain arrays; nothing in the loops touches a Python object.
"""

from libc.stdint cimport int16_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy

cdef enum:
    LOOKAHEAD = 9
    MAX_SLOTS = 10  # blocks in one MCU, T.81 B.2.3
    EOI = 0xD9
    RST0 = 0xD0

# Scan kinds, as the decoder driver names them.
cpdef enum ScanKind:
    SEQUENTIAL = 0
    DC_FIRST = 1
    DC_REFINE = 2
    AC_FIRST = 3
    AC_REFINE = 4

# Zigzag index -> natural index, padded with 63s as libjpeg pads
# jpeg_natural_order, so that a corrupt zero run past the end writes to 63.
cdef int ZZ[80]
_natural = [0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
            12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
            35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
            58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63] + [63] * 16
for _i in range(80):
    ZZ[_i] = _natural[_i]


cdef struct DecodeTable:
    int32_t lookup[1 << LOOKAHEAD]
    int32_t maxcode[18]
    int32_t valoffset[18]
    uint8_t symbols[256]


cdef class HuffmanDecoder:
    """A Huffman table in the form the decoding loops read."""
    cdef DecodeTable table

    def __init__(self, const int32_t[::1] lookup, const int32_t[::1] maxcode,
                 const int32_t[::1] valoffset, const uint8_t[::1] symbols):
        memcpy(self.table.lookup, &lookup[0], sizeof(self.table.lookup))
        memcpy(self.table.maxcode, &maxcode[0], sizeof(self.table.maxcode))
        memcpy(self.table.valoffset, &valoffset[0], sizeof(self.table.valoffset))
        memcpy(self.table.symbols, &symbols[0], sizeof(self.table.symbols))


# ---------------------------------------------------------------- bit reader

cdef struct BitReader:
    const uint8_t* data
    Py_ssize_t pos        # next byte to load
    Py_ssize_t end
    uint64_t acc          # the low `nbits` bits are unread
    int nbits
    int padbits           # of those, how many at the bottom are zero padding
    int marker            # marker that stopped loading, 0 while there is none
    Py_ssize_t marker_pos
    bint insufficient     # a padding bit was consumed (libjpeg's insufficient_data)
    int64_t bad_codes


cdef inline void next_marker(BitReader* br) noexcept nogil:
    """Skip to the next marker as libjpeg's next_marker does: anything up to
    FF xx with xx neither 00 nor FF is discarded.  Running off the end acts as
    EOI, like libjpeg's source manager inserting a fake one."""
    cdef Py_ssize_t p = br.pos
    cdef uint8_t c
    while True:
        while p < br.end and br.data[p] != 0xFF:
            p += 1
        if p >= br.end:
            br.marker = EOI
            br.marker_pos = br.end
            br.pos = br.end
            return
        br.marker_pos = p
        while p < br.end and br.data[p] == 0xFF:
            p += 1
        if p >= br.end:
            br.marker = EOI
            br.pos = br.end
            return
        c = br.data[p]
        if c != 0:
            br.marker = c
            br.pos = p  # just before the code byte; consume_marker steps over it
            return
        p += 1


cdef inline void fill(BitReader* br) noexcept nogil:
    cdef uint8_t c
    cdef Py_ssize_t p
    while br.nbits <= 56:
        if br.marker == 0:
            if br.pos < br.end:
                c = br.data[br.pos]
                if c != 0xFF:
                    br.pos += 1
                    br.acc = (br.acc << 8) | c
                    br.nbits += 8
                    continue
                p = br.pos + 1
                while p < br.end and br.data[p] == 0xFF:
                    p += 1
                if p < br.end and br.data[p] == 0:
                    br.pos = p + 1
                    br.acc = (br.acc << 8) | 0xFF
                    br.nbits += 8
                    continue
                br.marker = br.data[p] if p < br.end else EOI
                br.marker_pos = br.pos
                br.pos = p  # at the code byte, as next_marker leaves it
            else:
                br.marker = EOI
                br.marker_pos = br.end
        # past a marker: zero bits, as libjpeg supplies them
        br.acc <<= 8
        br.nbits += 8
        br.padbits += 8


cdef inline void consume(BitReader* br, int n) noexcept nogil:
    br.nbits -= n
    if br.nbits < br.padbits:
        br.insufficient = True
        br.padbits = br.nbits


cdef inline int get_bits(BitReader* br, int n) noexcept nogil:
    if br.nbits < n:
        fill(br)
    consume(br, n)
    return <int>((br.acc >> br.nbits) & ((<uint64_t>1 << n) - 1))


cdef inline int decode_symbol(BitReader* br, DecodeTable* t) noexcept nogil:
    cdef uint32_t look
    cdef int32_t entry, code
    cdef int length
    if br.nbits < 17:
        fill(br)
    look = <uint32_t>((br.acc >> (br.nbits - 16)) & 0xFFFF)
    entry = t.lookup[look >> (16 - LOOKAHEAD)]
    if entry != 0:
        consume(br, entry >> 8)
        return entry & 0xFF
    for length in range(LOOKAHEAD + 1, 17):
        code = <int32_t>(look >> (16 - length))
        if code <= t.maxcode[length]:
            consume(br, length)
            return t.symbols[(code + t.valoffset[length]) & 0xFF]
    # No such code: libjpeg reads 17 bits, warns, and takes symbol 0.
    consume(br, 17)
    br.bad_codes += 1
    return 0


cdef inline int extend(int value, int size) noexcept nogil:
    if size == 0:
        return 0
    if value < (1 << (size - 1)):
        return value + (-1 << size) + 1
    return value


cdef inline void discard_bits(BitReader* br) noexcept nogil:
    br.nbits = 0
    br.padbits = 0
    br.acc = 0


cdef inline bint read_restart_marker(BitReader* br, int wanted) noexcept nogil:
    """libjpeg's read_restart_marker with jpeg_resync_to_restart's recovery.
    False when the wanted marker was not where it belongs."""
    cdef int action, m
    if br.marker == 0:
        next_marker(br)
    if br.marker == RST0 + wanted:
        br.pos += 1
        br.marker = 0
        return True
    while True:
        m = br.marker
        if m < 0xC0:
            action = 2
        elif m < RST0 or m > RST0 + 7:
            action = 3
        elif m == RST0 + ((wanted + 1) & 7) or m == RST0 + ((wanted + 2) & 7):
            action = 3
        elif m == RST0 + ((wanted - 1) & 7) or m == RST0 + ((wanted - 2) & 7):
            action = 2
        else:
            action = 1
        if action == 1:  # take it as the wanted one
            br.pos += 1
            br.marker = 0
            return False
        if action == 3:  # leave it: the interval reads as empty
            return False
        if br.pos >= br.end:  # nothing further to scan
            return False
        br.pos += 1
        br.marker = 0
        next_marker(br)


# ---------------------------------------------------------------- scan layout

cdef struct Layout:
    int nslots                  # blocks in one MCU
    int16_t* coef[MAX_SLOTS]    # each slot's component array, 64 per block
    int blocks_wide[MAX_SLOTS]  # row stride of that array, in blocks
    int row_mult[MAX_SLOTS]     # block row = mcu_row * row_mult + dy
    int col_mult[MAX_SLOTS]
    int dy[MAX_SLOTS]
    int dx[MAX_SLOTS]
    int comp[MAX_SLOTS]         # index of the slot's component within the scan


cdef void make_layout(Layout* lay, tuple arrays, const int32_t[:, ::1] slots) except *:
    """`slots` rows: (component index in scan, row_mult, col_mult, dy, dx)."""
    cdef int16_t[:, ::1] view
    cdef int i, c
    lay.nslots = slots.shape[0]
    if lay.nslots > MAX_SLOTS:
        raise ValueError("more than 10 blocks in one MCU")
    for i in range(lay.nslots):
        c = slots[i, 0]
        view = arrays[c]
        lay.coef[i] = &view[0, 0]
        lay.comp[i] = c
        lay.row_mult[i] = slots[i, 1]
        lay.col_mult[i] = slots[i, 2]
        lay.dy[i] = slots[i, 3]
        lay.dx[i] = slots[i, 4]
        lay.blocks_wide[i] = slots[i, 5]


cdef inline int16_t* block_at(Layout* lay, int slot, int mcu_row, int mcu_col) noexcept nogil:
    cdef Py_ssize_t row = mcu_row * lay.row_mult[slot] + lay.dy[slot]
    cdef Py_ssize_t col = mcu_col * lay.col_mult[slot] + lay.dx[slot]
    return lay.coef[slot] + (row * lay.blocks_wide[slot] + col) * 64


cdef void table_pointers(DecodeTable** out, tuple tables, Layout* lay) except *:
    cdef HuffmanDecoder decoder
    cdef int i
    for i in range(lay.nslots):
        obj = tables[lay.comp[i]]
        if obj is None:
            out[i] = NULL
        else:
            decoder = obj
            out[i] = &decoder.table


# ---------------------------------------------------------------- decoding

def decode_scan(const uint8_t[::1] data, Py_ssize_t start, Py_ssize_t end, int kind,
                int ss, int se, int ah, int al, tuple arrays, const int32_t[:, ::1] slots,
                int mcus_wide, int mcus_high, int restart_interval,
                tuple dc_tables, tuple ac_tables):
    """Decode one scan's entropy-coded data into the component arrays.

    Returns (end of the last byte holding a decoded bit, insufficient data,
    bad Huffman codes seen, restart markers out of place, the value of the
    padding bits or -1 when none were seen, MCUs decoded).
    """
    cdef BitReader br
    cdef Layout lay
    cdef DecodeTable* dct[MAX_SLOTS]
    cdef DecodeTable* act[MAX_SLOTS]
    cdef int last_dc[4]
    cdef int eobrun = 0
    cdef int restarts_to_go = restart_interval
    cdef int next_restart = 0
    cdef int mrow, mcol, slot, k, r, s, value, run, pad_bit = -1, leftover
    cdef int p1 = 1 << al
    cdef int m1 = -1 << al
    cdef int16_t* blk
    cdef int16_t* coef
    cdef int64_t bad_restarts = 0, mcus_done = 0
    cdef bint any_insufficient = False
    cdef DecodeTable* tbl

    make_layout(&lay, arrays, slots)
    table_pointers(dct, dc_tables, &lay)
    table_pointers(act, ac_tables, &lay)
    for slot in range(lay.nslots):
        if (kind == SEQUENTIAL or kind == DC_FIRST) and dct[slot] == NULL:
            raise ValueError("scan uses a DC Huffman table that is not defined")
        if (kind == SEQUENTIAL or kind == AC_FIRST or kind == AC_REFINE) and act[slot] == NULL:
            raise ValueError("scan uses an AC Huffman table that is not defined")
    br.data = &data[0]
    br.pos = start
    br.end = end
    br.acc = 0
    br.nbits = 0
    br.padbits = 0
    br.marker = 0
    br.marker_pos = end
    br.insufficient = False
    br.bad_codes = 0
    last_dc[0] = last_dc[1] = last_dc[2] = last_dc[3] = 0

    with nogil:
        for mrow in range(mcus_high):
            for mcol in range(mcus_wide):
                if restart_interval:
                    if restarts_to_go == 0:
                        leftover = br.nbits - br.padbits
                        if pad_bit < 0 and leftover % 8:
                            pad_bit = <int>(br.acc >> br.padbits) & 1
                        discard_bits(&br)
                        if not read_restart_marker(&br, next_restart):
                            bad_restarts += 1
                        next_restart = (next_restart + 1) & 7
                        last_dc[0] = last_dc[1] = last_dc[2] = last_dc[3] = 0
                        eobrun = 0
                        restarts_to_go = restart_interval
                        if br.marker == 0:
                            br.insufficient = False
                    restarts_to_go -= 1
                if br.insufficient:
                    continue  # libjpeg leaves the rest of the interval as it is
                mcus_done += 1
                for slot in range(lay.nslots):
                    blk = block_at(&lay, slot, mrow, mcol)
                    if kind == SEQUENTIAL:
                        s = decode_symbol(&br, dct[slot])
                        if s:
                            s = extend(get_bits(&br, s), s)
                        last_dc[lay.comp[slot]] += s
                        blk[0] = <int16_t>last_dc[lay.comp[slot]]
                        tbl = act[slot]
                        k = 1
                        while k < 64:
                            s = decode_symbol(&br, tbl)
                            r = s >> 4
                            s &= 15
                            if s:
                                k += r
                                blk[ZZ[k]] = <int16_t>extend(get_bits(&br, s), s)
                            elif r != 15:
                                break
                            else:
                                k += 15
                            k += 1
                    elif kind == DC_FIRST:
                        s = decode_symbol(&br, dct[slot])
                        if s:
                            s = extend(get_bits(&br, s), s)
                        last_dc[lay.comp[slot]] += s
                        blk[0] = <int16_t>(last_dc[lay.comp[slot]] << al)
                    elif kind == DC_REFINE:
                        if get_bits(&br, 1):
                            blk[0] = <int16_t>(blk[0] | p1)
                    elif kind == AC_FIRST:
                        if eobrun > 0:
                            eobrun -= 1
                            continue
                        tbl = act[slot]
                        k = ss
                        while k <= se:
                            s = decode_symbol(&br, tbl)
                            r = s >> 4
                            s &= 15
                            if s:
                                k += r
                                blk[ZZ[k]] = <int16_t>(extend(get_bits(&br, s), s) << al)
                            elif r == 15:
                                k += 15
                            else:
                                eobrun = 1 << r
                                if r:
                                    eobrun += get_bits(&br, r)
                                eobrun -= 1
                                break
                            k += 1
                    else:  # AC_REFINE, T.81 G.1.2.3 as libjpeg decodes it
                        tbl = act[slot]
                        k = ss
                        if eobrun == 0:
                            while k <= se:
                                s = decode_symbol(&br, tbl)
                                r = s >> 4
                                s &= 15
                                if s:
                                    if s != 1:
                                        br.bad_codes += 1
                                    s = p1 if get_bits(&br, 1) else m1
                                elif r != 15:
                                    eobrun = 1 << r
                                    if r:
                                        eobrun += get_bits(&br, r)
                                    break
                                # step over nonzero coefficients (each gets a
                                # correction bit) and r zero ones
                                while k <= se:
                                    coef = blk + ZZ[k]
                                    if coef[0] != 0:
                                        if get_bits(&br, 1):
                                            if (coef[0] & p1) == 0:
                                                coef[0] = <int16_t>(coef[0] + (p1 if coef[0] >= 0 else m1))
                                    else:
                                        r -= 1
                                        if r < 0:
                                            break
                                    k += 1
                                if s:
                                    blk[ZZ[k]] = <int16_t>s
                                k += 1
                        if eobrun > 0:
                            while k <= se:
                                coef = blk + ZZ[k]
                                if coef[0] != 0:
                                    if get_bits(&br, 1):
                                        if (coef[0] & p1) == 0:
                                            coef[0] = <int16_t>(coef[0] + (p1 if coef[0] >= 0 else m1))
                                k += 1
                            eobrun -= 1
                if br.insufficient:
                    any_insufficient = True

    leftover = br.nbits - br.padbits
    if pad_bit < 0 and leftover % 8 and leftover > 0:
        pad_bit = <int>(br.acc >> br.padbits) & 1
    return (data_end(&br, start, leftover // 8), bool(any_insufficient), br.bad_codes,
            bad_restarts, pad_bit, mcus_done)


cdef Py_ssize_t data_end(BitReader* br, Py_ssize_t start, int unread_bytes) noexcept nogil:
    """File offset just past the last byte that held a consumed bit."""
    cdef Py_ssize_t p = br.marker_pos if br.marker != 0 else br.pos
    while unread_bytes > 0 and p > start:
        if p - 2 >= start and br.data[p - 1] == 0 and br.data[p - 2] == 0xFF:
            p -= 2
        else:
            p -= 1
        unread_bytes -= 1
    return p


# ---------------------------------------------------------------- encoding

cdef struct BitWriter:
    uint8_t* buf
    Py_ssize_t length
    Py_ssize_t capacity
    uint64_t acc
    int nbits


cdef int reserve(BitWriter* w, Py_ssize_t extra) noexcept nogil:
    cdef uint8_t* grown
    cdef Py_ssize_t want
    if w.length + extra <= w.capacity:
        return 0
    want = w.capacity * 2
    if want < w.length + extra:
        want = w.length + extra
    grown = <uint8_t*>realloc(w.buf, want)
    if grown == NULL:
        return -1
    w.buf = grown
    w.capacity = want
    return 0


cdef inline void put_bits(BitWriter* w, uint32_t code, int size) noexcept nogil:
    cdef uint8_t byte
    w.acc = (w.acc << size) | code
    w.nbits += size
    while w.nbits >= 8:
        w.nbits -= 8
        byte = <uint8_t>(w.acc >> w.nbits)
        w.buf[w.length] = byte
        w.length += 1
        if byte == 0xFF:  # byte stuffing, T.81 F.1.2.3
            w.buf[w.length] = 0
            w.length += 1


cdef inline void flush_bits(BitWriter* w, int pad_bit) noexcept nogil:
    if w.nbits:
        put_bits(w, ((1u << (8 - w.nbits)) - 1) if pad_bit else 0, 8 - w.nbits)
    w.acc = 0


cdef inline int category(int value) noexcept nogil:
    cdef int magnitude = value if value >= 0 else -value
    cdef int bits = 0
    while magnitude:
        bits += 1
        magnitude >>= 1
    return bits


cdef struct EncodeTables:
    const uint32_t* code
    const uint8_t* size
    int64_t* freq


cdef void encode_tables(EncodeTables* out, tuple tables, Layout* lay, bint counting) except *:
    cdef const uint32_t[::1] codes
    cdef const uint8_t[::1] sizes
    cdef int64_t[::1] freq
    cdef int i
    for i in range(lay.nslots):
        entry = tables[lay.comp[i]]
        if counting:
            freq = entry
            out[i].freq = &freq[0]
        else:
            codes = entry[0]
            sizes = entry[1]
            out[i].code = &codes[0]
            out[i].size = &sizes[0]


class EncodeError(ValueError):
    """A coefficient the tables or the precision cannot code."""


cdef inline int emit(BitWriter* w, EncodeTables* t, bint counting, int symbol) noexcept nogil:
    if counting:
        t.freq[symbol] += 1
        return 0
    if t.size[symbol] == 0:
        return -1
    put_bits(w, t.code[symbol], t.size[symbol])
    return 0


def encode_sequential_scan(tuple arrays, const int32_t[:, ::1] slots, int mcus_wide,
                           int mcus_high, int restart_interval, tuple dc_tables,
                           tuple ac_tables, int max_category, int pad_bit, bint counting):
    """Huffman-code a sequential scan, or with `counting` only tally its symbols.

    dc_tables/ac_tables hold per scan component either (codes, sizes) arrays
    or, when counting, an int64[257] frequency array to add to.
    Returns the entropy-coded bytes (empty when counting).
    """
    cdef Layout lay
    cdef EncodeTables dct[MAX_SLOTS]
    cdef EncodeTables act[MAX_SLOTS]
    cdef BitWriter w
    cdef int last_dc[4]
    cdef int mrow, mcol, slot, k, run, value, diff, size, mcus_in_interval = 0
    cdef int next_restart = 0, failure = 0, bad_value = 0
    cdef int16_t* blk

    make_layout(&lay, arrays, slots)
    encode_tables(dct, dc_tables, &lay, counting)
    encode_tables(act, ac_tables, &lay, counting)
    w.capacity = 1 << 16
    w.buf = <uint8_t*>malloc(w.capacity)
    if w.buf == NULL:
        raise MemoryError()
    w.length = 0
    w.acc = 0
    w.nbits = 0
    last_dc[0] = last_dc[1] = last_dc[2] = last_dc[3] = 0
    try:
        with nogil:
            for mrow in range(mcus_high):
                for mcol in range(mcus_wide):
                    if restart_interval and mcus_in_interval == restart_interval:
                        if not counting:
                            flush_bits(&w, pad_bit)
                            if reserve(&w, 2) < 0:
                                failure = 3
                                break
                            w.buf[w.length] = 0xFF
                            w.buf[w.length + 1] = RST0 + next_restart
                            w.length += 2
                        next_restart = (next_restart + 1) & 7
                        last_dc[0] = last_dc[1] = last_dc[2] = last_dc[3] = 0
                        mcus_in_interval = 0
                    mcus_in_interval += 1
                    if not counting and reserve(&w, 1024 * lay.nslots) < 0:
                        failure = 3
                        break
                    for slot in range(lay.nslots):
                        blk = block_at(&lay, slot, mrow, mcol)
                        diff = blk[0] - last_dc[lay.comp[slot]]
                        last_dc[lay.comp[slot]] = blk[0]
                        size = category(diff)
                        if size > max_category + 1:
                            failure = 1
                            bad_value = blk[0]
                            break
                        if emit(&w, &dct[slot], counting, size) < 0:
                            failure = 2
                            bad_value = size
                            break
                        if size and not counting:
                            put_bits(&w, <uint32_t>(diff if diff >= 0 else diff - 1) & ((1u << size) - 1), size)
                        run = 0
                        for k in range(1, 64):
                            value = blk[ZZ[k]]
                            if value == 0:
                                run += 1
                                continue
                            while run > 15:
                                if emit(&w, &act[slot], counting, 0xF0) < 0:
                                    failure = 2
                                    bad_value = 0xF0
                                    break
                                run -= 16
                            size = category(value)
                            if size > max_category:
                                failure = 1
                                bad_value = value
                            elif emit(&w, &act[slot], counting, (run << 4) | size) < 0:
                                failure = 2
                                bad_value = (run << 4) | size
                            if failure:
                                break
                            if not counting:
                                put_bits(&w, <uint32_t>(value if value >= 0 else value - 1) & ((1u << size) - 1), size)
                            run = 0
                        if failure:
                            break
                        if run and emit(&w, &act[slot], counting, 0x00) < 0:
                            failure = 2
                            bad_value = 0
                            break
                    if failure:
                        break
                if failure:
                    break
            if not failure and not counting:
                flush_bits(&w, pad_bit)
        if failure == 1:
            raise EncodeError(f"coefficient {bad_value} is too large for this precision")
        if failure == 2:
            raise EncodeError(f"Huffman table has no code for symbol 0x{bad_value:02X}")
        if failure == 3:
            raise MemoryError()
        return bytes(w.buf[:w.length])
    finally:
        free(w.buf)
