# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Bit-level Huffman coding of DCT coefficients: the compiled hot loops.

Decoding follows libjpeg(-turbo) to the bit, including how it treats damaged
data, because libjpeg's coefficients are the oracle: bits missing at a marker
or at the end of the file read as zeros, once that has happened the rest of
the restart interval is left untouched, and restart markers that are missing
or out of order are resynchronised the way jpeg_resync_to_restart does it.

Speed comes from the usual tricks of libjpeg-turbo and stb_image: the bit
buffer is refilled eight bytes at a time when none of them is 0xFF, one table
look-up decodes a short code together with its magnitude bits, sequential
MCUs are decoded with the bit buffer in local variables, and the encoder
walks a block's nonzero coefficients through a bit mask and writes 64 bits at
a time.  The results are the same as with the plain bit-at-a-time rules.

Python hands in plain arrays; nothing in the loops touches a Python object.
"""

from libc.stdint cimport int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memchr, memcpy, memset

cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
    static inline uint64_t js_load_be64(const uint8_t* p) {
        uint64_t v;
        memcpy(&v, p, 8);
    #if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        v = __builtin_bswap64(v);
    #endif
        return v;
    }
    static inline void js_store_be64(uint8_t* p, uint64_t v) {
    #if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        v = __builtin_bswap64(v);
    #endif
        memcpy(p, &v, 8);
    }
    /* Bits needed for x: 0 for 0, else 1 + floor(log2 x). */
    static inline int js_bit_length(uint32_t x) { return 31 - __builtin_clz(2 * x + 1); }
    static inline int js_bit_length_nonzero(uint32_t x) { return 32 - __builtin_clz(x); }
    static inline int js_ctz64(uint64_t x) { return __builtin_ctzll(x); }
    static inline int js_clz64(uint64_t x) { return __builtin_clzll(x); }
    /* The arithmetic encoder's registers (T.81 D.1: A, C, CT), as libjpeg's
       jcarith.c keeps them: C with three spacer bits above the output byte. */
    typedef struct { int64_t a; int64_t c; int ct; } js_coder_registers;
    /* One binary decision (T.81 D.1.2-D.1.6) coded with the statistics in
       *bin, which holds the state index << 1 with the MPS sense above it, so
       that *bin | bit indexes `decisions`: Qe (bits 0-15), the bin's next value
       should the state move (16-24), and whether the bit is the LPS (26).
       Every choice is a select, not a branch: whether a decision is the LPS,
       and whether it renormalizes, are what a branch predictor guesses worst. */
    static inline void js_arith_step(js_coder_registers* r, uint16_t* bin, uint32_t bit,
                                     const uint32_t* decisions) {
        uint32_t state = *bin;
        uint32_t row = decisions[state | bit];
        int64_t qe = row & 0xFFFF;
        int64_t rest = r->a - qe;
        uint32_t lps = row >> 26;
        /* the upper part of the interval (C moves past the lower) goes to an
           LPS, or to the MPS when the conditional exchange swaps the two */
        uint32_t upper = lps ^ (uint32_t)(rest < qe);
        /* the state moves after an LPS, after an MPS only when it renormalizes */
        uint32_t moves = lps | (uint32_t)(rest < 0x8000);
        *bin = (uint16_t)(moves ? ((row >> 16) & 0x1FF) : state);
        int64_t a = upper ? qe : rest;
        /* renormalize: shift until A >= 0x8000 (no shift when it is) */
        int shift = __builtin_clz((uint32_t)a) - 16;
        r->c = (r->c + (rest & -(int64_t)upper)) << shift;
        r->a = a << shift;
        r->ct -= shift;
    }
    /* Bit i set when coefficient i (natural order) of the block is nonzero. */
    #if defined(__SSE2__)
    #include <emmintrin.h>
    static inline uint64_t js_nonzero_mask(const int16_t* blk) {
        const __m128i* row = (const __m128i*)blk;
        __m128i zero = _mm_setzero_si128();
        uint64_t zeros = 0;
        for (int i = 0; i < 4; i++) {
            __m128i a = _mm_cmpeq_epi16(_mm_loadu_si128(row + 2 * i), zero);
            __m128i b = _mm_cmpeq_epi16(_mm_loadu_si128(row + 2 * i + 1), zero);
            zeros |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_packs_epi16(a, b)) << (16 * i);
        }
        return ~zeros;
    }
    /* Bit i set when |blk[i]| >= threshold (1..32767): which coefficients a
       progressive scan with point transform Al sees as nonzero. */
    static inline uint64_t js_magnitude_mask(const int16_t* blk, int threshold) {
        const __m128i* row = (const __m128i*)blk;
        __m128i zero = _mm_setzero_si128();
        __m128i below = _mm_set1_epi16((short)(threshold - 1));
        uint64_t mask = 0;
        for (int i = 0; i < 4; i++) {
            __m128i a = _mm_loadu_si128(row + 2 * i), b = _mm_loadu_si128(row + 2 * i + 1);
            a = _mm_max_epi16(a, _mm_subs_epi16(zero, a));
            b = _mm_max_epi16(b, _mm_subs_epi16(zero, b));
            __m128i big = _mm_packs_epi16(_mm_cmpgt_epi16(a, below), _mm_cmpgt_epi16(b, below));
            mask |= (uint64_t)(uint32_t)_mm_movemask_epi8(big) << (16 * i);
        }
        return mask;
    }
    #else
    static inline uint64_t js_nonzero_mask(const int16_t* blk) {
        uint64_t mask = 0;
        for (int i = 0; i < 64; i++)
            mask |= (uint64_t)(blk[i] != 0) << i;
        return mask;
    }
    static inline uint64_t js_magnitude_mask(const int16_t* blk, int threshold) {
        uint64_t mask = 0;
        for (int i = 0; i < 64; i++)
            mask |= (uint64_t)(blk[i] >= threshold || blk[i] <= -threshold) << i;
        return mask;
    }
    #endif
    """
    uint64_t load_be64 "js_load_be64"(const uint8_t* p) noexcept nogil
    void store_be64 "js_store_be64"(uint8_t* p, uint64_t v) noexcept nogil
    int bit_length "js_bit_length"(uint32_t x) noexcept nogil
    int bit_length_nonzero "js_bit_length_nonzero"(uint32_t x) noexcept nogil
    int ctz64 "js_ctz64"(uint64_t x) noexcept nogil
    int clz64 "js_clz64"(uint64_t x) noexcept nogil
    uint64_t nonzero_mask "js_nonzero_mask"(const int16_t* blk) noexcept nogil
    uint64_t magnitude_mask "js_magnitude_mask"(const int16_t* blk, int threshold) noexcept nogil
    ctypedef struct CoderRegisters "js_coder_registers":
        # T.81 D.1's A, C and CT.  A block coder copies them into a local for
        # the block, which the compiler keeps in CPU registers: left in the
        # encoder, they would go to memory and back at every decision.
        int64_t a
        int64_t c
        int ct
    void arith_step "js_arith_step"(CoderRegisters* r, uint16_t* bin, uint32_t bit,
                                    const uint32_t* decisions) noexcept nogil

cdef enum:
    FAST_BITS = 10  # codes (with their magnitude bits) up to this long take one look-up
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

# Natural-order bits -> zigzag-order bits, a nibble at a time: ZZ_BITS[j][n]
# has bit k set where ZZ[k] is 4 j + b for a set bit b of n.
cdef uint64_t ZZ_BITS[16][16]
for _j in range(16):
    for _n in range(16):
        ZZ_BITS[_j][_n] = sum(1 << _natural.index(4 * _j + _b) for _b in range(4) if _n >> _b & 1)


cdef inline bint has_ff_byte(uint64_t v) noexcept nogil:
    """Whether any byte of v is 0xFF (a zero byte of ~v, exactly)."""
    return ((~v - 0x0101010101010101ULL) & v & 0x8080808080808080ULL) != 0


cdef inline int extend(int value, int size) noexcept nogil:
    if size == 0:
        return 0
    if value < (1 << (size - 1)):
        return value + (-1 << size) + 1
    return value


cdef struct DecodeTable:
    # The next FAST_BITS bits -> a whole coefficient: value << 16 | symbol << 8
    # | bits used (code and magnitude), 0 when that takes more bits.
    int32_t fast[1 << FAST_BITS]
    # The next FAST_BITS bits -> code length << 8 | symbol, 0 for longer codes.
    uint16_t lookup[1 << FAST_BITS]
    int32_t maxcode[18]
    int32_t valoffset[18]
    uint8_t symbols[256]


cdef class HuffmanDecoder:
    """A Huffman table in the form the decoding loops read.

    `lookup` covers codes up to log2(len(lookup)) bits; the longer look-ups
    built here are derived from it and the canonical arrays.
    """
    cdef DecodeTable table

    def __init__(self, const int32_t[::1] lookup, const int32_t[::1] maxcode,
                 const int32_t[::1] valoffset, const uint8_t[::1] symbols):
        cdef int given_bits = 0, q, length, entry, code, s, value
        while (1 << given_bits) < lookup.shape[0]:
            given_bits += 1
        if (lookup.shape[0] != 1 << given_bits or given_bits > FAST_BITS
                or maxcode.shape[0] < 18 or valoffset.shape[0] < 18 or symbols.shape[0] < 256):
            raise ValueError("malformed Huffman decoding arrays")
        memcpy(self.table.maxcode, &maxcode[0], sizeof(self.table.maxcode))
        memcpy(self.table.valoffset, &valoffset[0], sizeof(self.table.valoffset))
        memcpy(self.table.symbols, &symbols[0], sizeof(self.table.symbols))
        for q in range(1 << FAST_BITS):
            # what decode_symbol finds for any bits starting with q
            entry = lookup[q >> (FAST_BITS - given_bits)]
            if entry == 0:
                for length in range(given_bits + 1, FAST_BITS + 1):
                    code = q >> (FAST_BITS - length)
                    if code <= maxcode[length]:
                        entry = (length << 8) | symbols[(code + valoffset[length]) & 0xFF]
                        break
            self.table.lookup[q] = <uint16_t>entry
            self.table.fast[q] = 0
            length = entry >> 8
            s = entry & 15
            if entry != 0 and length + s <= FAST_BITS:
                value = extend((q >> (FAST_BITS - length - s)) & ((1 << s) - 1), s)
                self.table.fast[q] = value * 65536 + ((entry & 0xFF) << 8) + length + s


# ---------------------------------------------------------------- bit reader

cdef struct BitReader:
    const uint8_t* data
    Py_ssize_t pos        # next byte to load
    Py_ssize_t end
    Py_ssize_t last_word  # last pos with 8 bytes of data (and buffer) to load
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


cdef void fill_bytes(BitReader* br) noexcept nogil:
    """Load byte by byte up to 57 or more bits, undoing byte stuffing and
    stopping at a marker (or the end of the data)."""
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


cdef inline bint fill_fast(const uint8_t* data, Py_ssize_t* pos, Py_ssize_t limit,
                           uint64_t* acc, int* nbits) noexcept nogil:
    """Load whole bytes up to 56 or more bits in one go, when none of them is
    0xFF and pos <= limit (the last_word of the reader, -1 after a marker).
    False when it cannot help."""
    cdef uint64_t v
    cdef int take
    if pos[0] > limit or nbits[0] > 55:
        return False
    take = (63 - nbits[0]) & ~7
    v = load_be64(data + pos[0]) >> (64 - take)
    if has_ff_byte(v):
        return False
    acc[0] = (acc[0] << take) | v
    nbits[0] += take
    pos[0] += take >> 3
    return True


cdef inline Py_ssize_t fast_limit(BitReader* br) noexcept nogil:
    return br.last_word if br.marker == 0 else -1


cdef inline void fill(BitReader* br) noexcept nogil:
    if not fill_fast(br.data, &br.pos, fast_limit(br), &br.acc, &br.nbits):
        fill_bytes(br)


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
    entry = t.lookup[look >> (16 - FAST_BITS)]
    if entry != 0:
        consume(br, entry >> 8)
        return entry & 0xFF
    for length in range(FAST_BITS + 1, 17):
        code = <int32_t>(look >> (16 - length))
        if code <= t.maxcode[length]:
            consume(br, length)
            return t.symbols[(code + t.valoffset[length]) & 0xFF]
    # No such code: libjpeg reads 17 bits, warns, and takes symbol 0.
    consume(br, 17)
    br.bad_codes += 1
    return 0


cdef inline void discard_bits(BitReader* br) noexcept nogil:
    br.nbits = 0
    br.padbits = 0
    br.acc = 0


cdef inline int padding_value(BitReader* br) noexcept nogil:
    """The last bit of the partly read byte, -1 when the reader is at a byte
    boundary.  Only bits that are in the data count."""
    cdef int partial = (br.nbits - br.padbits) % 8
    if partial == 0:
        return -1
    return <int>(br.acc >> (br.nbits - partial)) & 1


cdef inline bint padding_is_ones(BitReader* br) noexcept nogil:
    """Whether the unread bits of the partly read byte are all ones, as T.81
    F.1.2.3 asks of the padding at the end of an entropy-coded segment."""
    cdef int partial = (br.nbits - br.padbits) % 8
    cdef uint64_t mask = (<uint64_t>1 << partial) - 1
    return ((br.acc >> (br.nbits - partial)) & mask) == mask


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
        if not 0 <= c < 4:
            raise ValueError("a scan has at most 4 components")
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

cdef struct LocalBits:
    # The hot part of a BitReader, copied out so that the compiler keeps it in
    # registers, with the unread bits at the top of `bits` (zeros below them):
    # then a peek is a constant shift and consuming n bits is `bits <<= n`,
    # which keeps the chain from one code to the next short.  `limit` is
    # fast_limit() of the reader.
    const uint8_t* data
    Py_ssize_t pos
    Py_ssize_t limit
    uint64_t bits
    int nbits
    int padbits


cdef inline void take_bits(LocalBits* b, BitReader* br) noexcept nogil:
    b.data = br.data
    b.pos = br.pos
    b.limit = fast_limit(br)
    b.bits = br.acc << (64 - br.nbits) if br.nbits else 0
    b.nbits = br.nbits
    b.padbits = br.padbits


cdef inline void give_bits(LocalBits* b, BitReader* br) noexcept nogil:
    br.pos = b.pos
    br.acc = b.bits >> (64 - b.nbits) if b.nbits else 0
    br.nbits = b.nbits
    br.padbits = b.padbits


cdef inline void local_ready(LocalBits* b, BitReader* br, int n) noexcept nogil:
    """Make at least n bits available (all there are for n > 56), as
    fill_fast does or else fill_bytes."""
    cdef uint64_t v
    cdef int take
    if b.nbits >= n:
        return
    if n <= 56 and b.pos <= b.limit:
        take = (63 - b.nbits) & ~7
        v = load_be64(b.data + b.pos) >> (64 - take)
        if not has_ff_byte(v):
            b.bits |= v << (64 - b.nbits - take)
            b.nbits += take
            b.pos += take >> 3
            return
    give_bits(b, br)
    fill_bytes(br)
    take_bits(b, br)


cdef inline int local_peek(LocalBits* b) noexcept nogil:
    return <int>(b.bits >> (64 - FAST_BITS))


cdef inline void local_consume(LocalBits* b, BitReader* br, int n) noexcept nogil:
    """Drop n bits; n & 63 is what x86 shifts by anyway, so `fast` entries
    can be passed in whole."""
    b.bits <<= n & 63
    b.nbits -= n & 63
    if b.nbits < b.padbits:
        br.insufficient = True
        b.padbits = b.nbits


cdef inline int local_get_bits(LocalBits* b, BitReader* br, int n) noexcept nogil:
    """get_bits on the local bits."""
    cdef int value
    local_ready(b, br, n)
    value = <int>(b.bits >> (64 - n))
    local_consume(b, br, n)
    return value


cdef inline int local_decode_symbol(LocalBits* b, BitReader* br, DecodeTable* t) noexcept nogil:
    """decode_symbol on the local bits."""
    cdef uint32_t look
    cdef int32_t entry, code
    cdef int length
    local_ready(b, br, 17)
    look = <uint32_t>(b.bits >> 48)
    entry = t.lookup[look >> (16 - FAST_BITS)]
    if entry != 0:
        local_consume(b, br, entry >> 8)
        return entry & 0xFF
    for length in range(FAST_BITS + 1, 17):
        code = <int32_t>(look >> (16 - length))
        if code <= t.maxcode[length]:
            local_consume(b, br, length)
            return t.symbols[(code + t.valoffset[length]) & 0xFF]
    local_consume(b, br, 17)
    br.bad_codes += 1
    return 0


cdef struct SymbolTally:
    # The symbols a baseline, restart-free re-encoding of the decoded blocks
    # codes, counted as they are decoded, so that a writer of the same
    # coefficients can skip its counting pass: per scan component, 257 DC
    # then 257 AC counts.  DC differences run from block to block of a
    # component, across the input's restarts; an AC symbol of the input is
    # the one a re-encoding writes unless the input spends ZRLs where an EOB
    # belongs, or codes an invalid symbol: then `noncanonical` is set.
    int64_t* counts
    int prev_dc[4]
    int noncanonical


cdef inline void decode_sequential_mcu(BitReader* br, Layout* lay, DecodeTable** dct,
                                       DecodeTable** act, int mrow, int mcol, int* last_dc,
                                       SymbolTally* tally) noexcept nogil:
    """One MCU of a sequential scan: decode_symbol and get_bits on local
    bits, short codes with their magnitude bits in one step.  `tally`, when
    not NULL, counts the symbols (inlined at two call sites, so that the
    compiler drops the counting where the caller passes NULL)."""
    cdef LocalBits b
    cdef int slot, k, s, sym, e, comp, diff, previous
    cdef int16_t* blk
    cdef int64_t* dc_counts
    cdef int64_t* ac_counts = NULL
    cdef DecodeTable* tbl
    take_bits(&b, br)
    for slot in range(lay.nslots):
        blk = block_at(lay, slot, mrow, mcol)
        comp = lay.comp[slot]
        local_ready(&b, br, FAST_BITS)
        e = dct[slot].fast[local_peek(&b)]
        if e != 0 and (e & 0xF000) == 0:  # a category, not some other symbol
            local_consume(&b, br, e)
            s = e >> 16
        else:
            s = local_decode_symbol(&b, br, dct[slot])
            if s:
                s = extend(local_get_bits(&b, br, s), s)
        last_dc[comp] += s
        blk[0] = <int16_t>last_dc[comp]
        if tally != NULL:
            dc_counts = tally.counts + comp * 514  # the component's DC then AC counts
            ac_counts = dc_counts + 257
            diff = blk[0] - tally.prev_dc[comp]
            tally.prev_dc[comp] = blk[0]
            dc_counts[bit_length(diff if diff >= 0 else -diff)] += 1
        tbl = act[slot]
        k = 1
        sym = 0
        while k < 64:
            # enough for any code, so that local_decode_symbol need not refill
            local_ready(&b, br, 17)
            e = tbl.fast[local_peek(&b)]
            previous = sym
            if e != 0:
                local_consume(&b, br, e)
                sym = (e >> 8) & 0xFF
                s = e >> 16
            else:
                sym = local_decode_symbol(&b, br, tbl)
                s = 0
                if sym & 15:
                    s = extend(local_get_bits(&b, br, sym & 15), sym & 15)
            if tally != NULL:
                ac_counts[sym] += 1
            if sym & 15:
                k += sym >> 4
                blk[ZZ[k]] = <int16_t>s
            elif sym != 0xF0:
                if tally != NULL and (sym != 0 or previous == 0xF0):
                    tally.noncanonical = 1
                break
            else:
                k += 15
            k += 1
        # past the block, or a ZRL as its end
        if tally != NULL and (k > 64 or (k == 64 and sym == 0xF0)):
            tally.noncanonical = 1
    give_bits(&b, br)


cdef Py_ssize_t scan_end(const uint8_t* base, Py_ssize_t p, Py_ssize_t end) noexcept nogil:
    cdef Py_ssize_t run
    cdef const uint8_t* hit
    cdef uint8_t code
    while p < end:
        hit = <const uint8_t*>memchr(base + p, 0xFF, end - p)
        if hit == NULL:
            return end
        run = hit - base
        p = run + 1
        while p < end and base[p] == 0xFF:
            p += 1
        if p >= end:
            return end
        code = base[p]
        # 00 is stuffing, RSTn belongs to the scan, and a code below C0 is no
        # marker at all: libjpeg's jpeg_resync_to_restart scans past it
        if code >= 0xC0 and not (RST0 <= code <= RST0 + 7):
            return run
        p += 1
    return end


def find_scan_end(const uint8_t[::1] data, Py_ssize_t start):
    """Offset of the marker that ends the entropy-coded data starting at `start`:
    the first FF run followed by a byte that is not 00 (stuffing), FF (fill),
    RSTn or a code below C0 (garbage libjpeg resynchronises past).  The length
    of the data when there is none."""
    if start >= data.shape[0]:
        return data.shape[0]
    return scan_end(&data[0], start, data.shape[0])


def decode_scan(const uint8_t[::1] data, Py_ssize_t start, Py_ssize_t end, int kind,
                int ss, int se, int ah, int al, tuple arrays, const int32_t[:, ::1] slots,
                int mcus_wide, int mcus_high, int restart_interval,
                tuple dc_tables, tuple ac_tables, int64_t[:, :, ::1] tally=None):
    """Decode one scan's entropy-coded data into the component arrays.

    Returns a dict: end (just past the last byte holding a decoded bit),
    insufficient (data ran out), bad_codes (invalid Huffman codes),
    bad_restarts (restart markers missing or out of order), pad_bit (the
    padding's last bit, -1 when none was seen), bad_padding (entropy-coded
    segments not padded with ones), stray_bytes and fill_bytes (bytes and
    extra FFs in front of restart markers), mcus (MCUs decoded), canonical
    (a sequential scan: whether `tally` holds exactly the symbols a
    baseline, restart-free re-encoding of its blocks codes).

    `tally`, int64[scan components, 2, 257], receives a sequential scan's
    DC category and AC symbol counts, as SymbolTally describes.
    """
    cdef BitReader br
    cdef Layout lay
    cdef DecodeTable* dct[MAX_SLOTS]
    cdef DecodeTable* act[MAX_SLOTS]
    cdef int last_dc[4]
    cdef int eobrun = 0
    cdef int restarts_to_go = restart_interval
    cdef int next_restart = 0
    cdef int mrow, mcol, slot, k, r, s, pad_bit = -1, bad_padding = 0
    cdef int p1 = 1 << al
    cdef int m1 = -1 << al
    cdef int16_t* blk
    cdef int16_t* coef
    cdef int64_t bad_restarts = 0, mcus_done = 0, stray_bytes = 0, fill_bytes = 0
    cdef Py_ssize_t segment_end
    cdef bint any_insufficient = False
    cdef DecodeTable* tbl
    cdef SymbolTally symbols

    make_layout(&lay, arrays, slots)
    memset(&symbols, 0, sizeof(symbols))
    if tally is not None:
        if tally.shape[0] < len(arrays) or tally.shape[1] != 2 or tally.shape[2] != 257:
            raise ValueError("tally must be int64[scan components, 2, 257]")
        symbols.counts = &tally[0, 0, 0]
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
    br.last_word = min(end, data.shape[0]) - 8
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
                        if pad_bit < 0:
                            pad_bit = padding_value(&br)
                        if not br.insufficient and not padding_is_ones(&br):
                            bad_padding += 1
                        segment_end = data_end(&br, start, (br.nbits - br.padbits) // 8)
                        discard_bits(&br)
                        if not read_restart_marker(&br, next_restart):
                            bad_restarts += 1
                        else:  # what lies between the data and the RSTn's own FF
                            if br.marker_pos > segment_end:
                                stray_bytes += br.marker_pos - segment_end
                            fill_bytes += br.pos - 2 - br.marker_pos
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
                if kind == SEQUENTIAL:
                    if symbols.counts != NULL:
                        decode_sequential_mcu(&br, &lay, dct, act, mrow, mcol, last_dc, &symbols)
                    else:
                        decode_sequential_mcu(&br, &lay, dct, act, mrow, mcol, last_dc, NULL)
                    if br.insufficient:
                        any_insufficient = True
                    continue
                for slot in range(lay.nslots):
                    blk = block_at(&lay, slot, mrow, mcol)
                    if kind == DC_FIRST:
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

    if pad_bit < 0 and br.nbits > br.padbits:
        pad_bit = padding_value(&br)
    if not br.insufficient and not padding_is_ones(&br):
        bad_padding += 1
    return {
        "end": data_end(&br, start, (br.nbits - br.padbits) // 8),
        "insufficient": bool(any_insufficient),
        "bad_codes": br.bad_codes,
        "bad_restarts": bad_restarts,
        "pad_bit": pad_bit,
        "bad_padding": bad_padding,
        "stray_bytes": stray_bytes,
        "fill_bytes": fill_bytes,
        "mcus": mcus_done,
        "canonical": (kind == SEQUENTIAL and symbols.counts != NULL
                      and not symbols.noncanonical),
    }


cdef Py_ssize_t data_end(BitReader* br, Py_ssize_t start, int unread_bytes) noexcept nogil:
    """File offset just past the last byte that held a consumed bit.  A
    stuffed 0xFF is FF 00 (or FF FF ... 00, fill bytes before the 00)."""
    cdef Py_ssize_t p = br.marker_pos if br.marker != 0 else br.pos
    while unread_bytes > 0 and p > start:
        if p - 2 >= start and br.data[p - 1] == 0 and br.data[p - 2] == 0xFF:
            p -= 2
            while p > start and br.data[p - 1] == 0xFF:
                p -= 1
        else:
            p -= 1
        unread_bytes -= 1
    return p


# ------------------------------------------------------- arithmetic decoding

# T.81 Table D.2: the probability estimation state machine.  Each row is
# (Qe, next index after an LPS, next index after an MPS, switch MPS sense);
# a last row of fixed probability 0.5 serves the bits T.81 codes that way.
_STATES = [
    (0x5A1D, 1, 1, 1), (0x2586, 14, 2, 0), (0x1114, 16, 3, 0), (0x080B, 18, 4, 0),
    (0x03D8, 20, 5, 0), (0x01DA, 23, 6, 0), (0x00E5, 25, 7, 0), (0x006F, 28, 8, 0),
    (0x0036, 30, 9, 0), (0x001A, 33, 10, 0), (0x000D, 35, 11, 0), (0x0006, 9, 12, 0),
    (0x0003, 10, 13, 0), (0x0001, 12, 13, 0), (0x5A7F, 15, 15, 1), (0x3F25, 36, 16, 0),
    (0x2CF2, 38, 17, 0), (0x207C, 39, 18, 0), (0x17B9, 40, 19, 0), (0x1182, 42, 20, 0),
    (0x0CEF, 43, 21, 0), (0x09A1, 45, 22, 0), (0x072F, 46, 23, 0), (0x055C, 48, 24, 0),
    (0x0406, 49, 25, 0), (0x0303, 51, 26, 0), (0x0240, 52, 27, 0), (0x01B1, 54, 28, 0),
    (0x0144, 56, 29, 0), (0x00F5, 57, 30, 0), (0x00B7, 59, 31, 0), (0x008A, 60, 32, 0),
    (0x0068, 62, 33, 0), (0x004E, 63, 34, 0), (0x003B, 32, 35, 0), (0x002C, 33, 9, 0),
    (0x5AE1, 37, 37, 1), (0x484C, 64, 38, 0), (0x3A0D, 65, 39, 0), (0x2EF1, 67, 40, 0),
    (0x261F, 68, 41, 0), (0x1F33, 69, 42, 0), (0x19A8, 70, 43, 0), (0x1518, 72, 44, 0),
    (0x1177, 73, 45, 0), (0x0E74, 74, 46, 0), (0x0BFB, 75, 47, 0), (0x09F8, 77, 48, 0),
    (0x0861, 78, 49, 0), (0x0706, 79, 50, 0), (0x05CD, 48, 51, 0), (0x04DE, 50, 52, 0),
    (0x040F, 50, 53, 0), (0x0363, 51, 54, 0), (0x02D4, 52, 55, 0), (0x025C, 53, 56, 0),
    (0x01F8, 54, 57, 0), (0x01A4, 55, 58, 0), (0x0160, 56, 59, 0), (0x0125, 57, 60, 0),
    (0x00F6, 58, 61, 0), (0x00CB, 59, 62, 0), (0x00AB, 61, 63, 0), (0x008F, 61, 32, 0),
    (0x5B12, 65, 65, 1), (0x4D04, 80, 66, 0), (0x412C, 81, 67, 0), (0x37D8, 82, 68, 0),
    (0x2FE8, 83, 69, 0), (0x293C, 84, 70, 0), (0x2379, 86, 71, 0), (0x1EDF, 87, 72, 0),
    (0x1AA9, 87, 73, 0), (0x174E, 72, 74, 0), (0x1424, 72, 75, 0), (0x119C, 74, 76, 0),
    (0x0F6B, 74, 77, 0), (0x0D51, 75, 78, 0), (0x0BB6, 77, 79, 0), (0x0A40, 77, 48, 0),
    (0x5832, 80, 81, 1), (0x4D1C, 88, 82, 0), (0x438E, 89, 83, 0), (0x3BDD, 90, 84, 0),
    (0x34EE, 91, 85, 0), (0x2EAE, 92, 86, 0), (0x299A, 93, 87, 0), (0x2516, 86, 71, 0),
    (0x5570, 88, 89, 1), (0x4CA9, 95, 90, 0), (0x44D9, 96, 91, 0), (0x3E22, 97, 92, 0),
    (0x3824, 99, 93, 0), (0x32B4, 99, 94, 0), (0x2E17, 93, 86, 0), (0x56A8, 95, 96, 1),
    (0x4F46, 101, 97, 0), (0x47E5, 102, 98, 0), (0x41CF, 103, 99, 0), (0x3C3D, 104, 100, 0),
    (0x375E, 99, 93, 0), (0x5231, 105, 102, 0), (0x4C0F, 106, 103, 0), (0x4639, 107, 104, 0),
    (0x415E, 103, 99, 0), (0x5627, 105, 106, 1), (0x50E7, 108, 107, 0), (0x4B85, 109, 103, 0),
    (0x5597, 110, 109, 0), (0x504F, 111, 107, 0), (0x5A10, 110, 111, 1), (0x5522, 112, 109, 0),
    (0x59EB, 112, 111, 1), (0x5A1D, 113, 113, 0),
]
cdef enum:
    FIXED_STATE = 113  # probability 0.5, never adapted
cdef uint16_t QE[114]
cdef uint8_t NEXT_LPS[114]
cdef uint8_t NEXT_MPS[114]
cdef uint8_t SWITCH[114]
# The same for the encoder, one word for each value of a bin (the state index
# << 1, the MPS sense above it) and decision bit, as js_arith_step reads it:
# Qe, the bin's value after a move (after an LPS: the next state and the MPS
# sense switched where the table says; after an MPS: the next state), and
# whether the bit is the LPS.
cdef uint32_t DECISION_ROW[256 * 2]
for _i, (_qe, _lps, _mps, _switch) in enumerate(_STATES):
    QE[_i] = _qe
    NEXT_LPS[_i] = _lps
    NEXT_MPS[_i] = _mps
    SWITCH[_i] = _switch
    for _sense in range(2):
        for _bit in range(2):
            _next = (_sense ^ _switch) << 7 | _lps if _bit != _sense else _sense << 7 | _mps
            DECISION_ROW[(_sense << 7 | _i) << 1 | _bit] = (
                _qe | _next << 17 | (_bit != _sense) << 26)


cdef struct Arithmetic:
    # T.81 D.2 decoder registers, as libjpeg keeps them: C holds the code
    # base and the unread input bits, split at a moving point CT.
    BitReader src   # only its byte position and marker state are used
    int64_t c
    int64_t a
    int ct          # -16 before the first two bytes; -1 after corrupt data
    uint8_t dc_stats[4][64]   # statistics bins: MPS sense << 7 | state index
    uint8_t ac_stats[4][256]
    uint8_t fixed
    int dc_l[4]     # DC conditioning bounds (DAC), per table
    int dc_u[4]
    int ac_k[4]     # AC conditioning: the Kx split, per table


cdef inline int arithmetic_byte(BitReader* br) noexcept nogil:
    """Next data byte, zeros once a marker (or the end) is reached: T.81
    lets arithmetic decoding run on past the end of its data."""
    cdef int data
    cdef Py_ssize_t first
    if br.marker:
        return 0
    if br.pos >= br.end:
        br.marker = EOI
        br.marker_pos = br.end
        return 0
    data = br.data[br.pos]
    if data != 0xFF:
        br.pos += 1
        return data
    first = br.pos
    br.pos += 1
    while br.pos < br.end and br.data[br.pos] == 0xFF:
        br.pos += 1
    if br.pos < br.end and br.data[br.pos] == 0:
        br.pos += 1
        return 0xFF
    br.marker = br.data[br.pos] if br.pos < br.end else EOI
    br.marker_pos = first
    return 0


cdef inline int arithmetic_decode(Arithmetic* s, uint8_t* bin) noexcept nogil:
    """Decode one binary decision with the statistics in `bin` (T.81 D.2.4-D.2.6)."""
    cdef int64_t qe, boundary
    cdef int state, mps
    while s.a < 0x8000:  # renormalize, reading bytes as they are needed
        s.ct -= 1
        if s.ct < 0:
            s.c = (s.c << 8) | arithmetic_byte(&s.src)
            s.ct += 8
            if s.ct < 0:
                s.ct += 1
                if s.ct == 0:  # the first two bytes are in: start the interval
                    s.a = 0x8000
        s.a <<= 1
    state = bin[0] & 0x7F
    mps = bin[0] >> 7
    qe = QE[state]
    s.a -= qe
    boundary = s.a << s.ct
    if s.c >= boundary:  # the lower sub-interval, of size Qe
        s.c -= boundary
        if s.a < qe:  # Qe is the larger part: this is the MPS after all
            s.a = qe
            bin[0] = (mps << 7) | NEXT_MPS[state]
            return mps
        s.a = qe
        bin[0] = ((mps ^ SWITCH[state]) << 7) | NEXT_LPS[state]
        return mps ^ 1
    if s.a < 0x8000:
        if s.a < qe:  # conditional exchange: the LPS
            bin[0] = ((mps ^ SWITCH[state]) << 7) | NEXT_LPS[state]
            return mps ^ 1
        bin[0] = (mps << 7) | NEXT_MPS[state]
    return mps


cdef inline void arithmetic_reset(Arithmetic* s) noexcept nogil:
    s.c = 0
    s.a = 0
    s.ct = -16


cdef inline int decode_magnitude(Arithmetic* s, int m, uint8_t* st) noexcept nogil:
    """T.81 F.23 and F.24: climb the category ladder from `st` starting at
    magnitude bit m, then read the bits below the top one.  Returns |v| - 1,
    or -1 past category 15 (corrupt data)."""
    cdef int v
    while arithmetic_decode(s, st):
        m <<= 1
        if m == 0x8000:
            return -1
        st += 1
    v = m
    st += 14
    m >>= 1
    while m:
        if arithmetic_decode(s, st):
            v |= m
        m >>= 1
    return v


cdef inline int decode_dc_difference(Arithmetic* s, int table, int* context) noexcept nogil:
    """T.81 F.19: one DC difference, updating the component's conditioning
    context; sets ct to -1 on corrupt data."""
    cdef uint8_t* st = &s.dc_stats[table][context[0]]
    cdef int sign, m, v
    if arithmetic_decode(s, st) == 0:
        context[0] = 0
        return 0
    sign = arithmetic_decode(s, st + 1)
    st += 2 + sign
    if arithmetic_decode(s, st) == 0:
        m = 0
        v = 0
    else:
        v = decode_magnitude(s, 1, &s.dc_stats[table][20])
        if v < 0:
            s.ct = -1
            return 0
        m = 1
        while (m << 1) <= v:
            m <<= 1
    # F.1.4.4.1.2: the next block's context from this difference's category
    if m < ((1 << s.dc_l[table]) >> 1):
        context[0] = 0
    elif m > ((1 << s.dc_u[table]) >> 1):
        context[0] = 12 + sign * 4
    else:
        context[0] = 4 + sign * 4
    v += 1
    return -v if sign else v


cdef inline int decode_ac_value(Arithmetic* s, int table, int k, uint8_t* st) noexcept nogil:
    """T.81 F.21-F.24 for an AC coefficient known to be nonzero; `st` points
    at its position's bins.  Returns 0 and sets ct to -1 on corrupt data."""
    cdef int sign = arithmetic_decode(s, &s.fixed)
    cdef int v
    st += 2
    if arithmetic_decode(s, st) == 0:
        v = 0
    elif arithmetic_decode(s, st) == 0:
        v = 1
    else:
        v = decode_magnitude(s, 2, &s.ac_stats[table][189 if k <= s.ac_k[table] else 217])
        if v < 0:
            s.ct = -1
            return 0
    v += 1
    return -v if sign else v


cdef inline int decode_ac_band(Arithmetic* s, int16_t* blk, int table, int ss, int se,
                               int al) noexcept nogil:
    """T.81 F.20 over zigzag positions ss..se (a whole sequential block, or a
    progressive first scan's band).  Returns nonzero on corrupt data."""
    cdef int k = ss, v
    cdef uint8_t* st
    while k <= se:
        st = &s.ac_stats[table][3 * (k - 1)]
        if arithmetic_decode(s, st):  # end of block
            return 0
        while arithmetic_decode(s, st + 1) == 0:  # a zero coefficient
            st += 3
            k += 1
            if k > se:
                s.ct = -1
                return 1
        v = decode_ac_value(s, table, k, st)
        if s.ct == -1:
            return 1
        blk[ZZ[k]] = <int16_t>(v * (1 << al))
        k += 1
    return 0


cdef inline int decode_ac_refinement(Arithmetic* s, int16_t* blk, int table, int ss, int se,
                                     int al) noexcept nogil:
    """T.81 G.1.3.3: one more bit for coefficients already nonzero, and the
    coefficients that become nonzero now.  Nonzero on corrupt data."""
    cdef int p1 = 1 << al
    cdef int m1 = -1 << al
    cdef int k, last_nonzero
    cdef uint8_t* st
    cdef int16_t* coef
    last_nonzero = se
    while last_nonzero > 0 and blk[ZZ[last_nonzero]] == 0:
        last_nonzero -= 1
    k = ss
    while k <= se:
        st = &s.ac_stats[table][3 * (k - 1)]
        if k > last_nonzero and arithmetic_decode(s, st):  # end of block
            return 0
        while True:
            coef = blk + ZZ[k]
            if coef[0] != 0:
                if arithmetic_decode(s, st + 2):
                    coef[0] = <int16_t>(coef[0] + (m1 if coef[0] < 0 else p1))
                break
            if arithmetic_decode(s, st + 1):
                coef[0] = <int16_t>(m1 if arithmetic_decode(s, &s.fixed) else p1)
                break
            st += 3
            k += 1
            if k > se:
                s.ct = -1
                return 1
        k += 1
    return 0


def decode_arithmetic_scan(const uint8_t[::1] data, Py_ssize_t start, Py_ssize_t end, int kind,
                           int ss, int se, int ah, int al, tuple arrays,
                           const int32_t[:, ::1] slots, int mcus_wide, int mcus_high,
                           int restart_interval, const int32_t[::1] dc_ids,
                           const int32_t[::1] ac_ids, const int32_t[::1] conditioning):
    """Decode one arithmetic-coded scan (SOF9/SOF10) into the component arrays,
    following T.81 Annex D, F.1.4 and G.1.3 as libjpeg's jdarith.c does.

    dc_ids/ac_ids give each scan component's table; `conditioning` holds
    the DAC values in force: DC L for tables 0-3, DC U for 0-3, AC Kx for 0-3.
    Returns a dict with the same keys as decode_scan.
    """
    cdef Layout lay
    cdef Arithmetic* s
    cdef int last_dc[4]
    cdef int context[4]
    cdef int mrow, mcol, slot, comp, i, restarts_to_go = restart_interval, next_restart = 0
    cdef int64_t corrupt = 0, bad_restarts = 0, mcus_done = 0
    cdef int16_t* blk
    cdef bint uses_dc = kind == SEQUENTIAL or kind == DC_FIRST
    cdef bint uses_ac = kind == SEQUENTIAL or kind == AC_FIRST or kind == AC_REFINE
    cdef int p1 = 1 << al

    make_layout(&lay, arrays, slots)
    for i in range(dc_ids.shape[0]):
        if not (0 <= dc_ids[i] < 4 and 0 <= ac_ids[i] < 4):
            raise ValueError("arithmetic coding table ids must be 0..3")
    s = <Arithmetic*>malloc(sizeof(Arithmetic))
    if s == NULL:
        raise MemoryError()
    memset(s, 0, sizeof(Arithmetic))
    s.src.data = &data[0]
    s.src.pos = start
    s.src.end = end
    s.src.marker_pos = end
    for i in range(4):
        s.dc_l[i] = conditioning[i]
        s.dc_u[i] = conditioning[4 + i]
        s.ac_k[i] = conditioning[8 + i]
    s.fixed = FIXED_STATE
    arithmetic_reset(s)
    last_dc[0] = last_dc[1] = last_dc[2] = last_dc[3] = 0
    context[0] = context[1] = context[2] = context[3] = 0
    try:
        with nogil:
            for mrow in range(mcus_high):
                for mcol in range(mcus_wide):
                    if restart_interval:
                        if restarts_to_go == 0:
                            if not read_restart_marker(&s.src, next_restart):
                                bad_restarts += 1
                            next_restart = (next_restart + 1) & 7
                            for i in range(4):  # fresh statistics for the new interval
                                if uses_dc:
                                    memset(s.dc_stats[i], 0, 64)
                                if uses_ac:
                                    memset(s.ac_stats[i], 0, 256)
                                last_dc[i] = 0
                                context[i] = 0
                            arithmetic_reset(s)
                            restarts_to_go = restart_interval
                        restarts_to_go -= 1
                    if s.ct == -1 and kind != DC_REFINE:
                        continue  # after corrupt data, libjpeg leaves the interval as it is
                    mcus_done += 1
                    for slot in range(lay.nslots):
                        blk = block_at(&lay, slot, mrow, mcol)
                        comp = lay.comp[slot]
                        if kind == SEQUENTIAL or kind == DC_FIRST:
                            last_dc[comp] += decode_dc_difference(s, dc_ids[comp], &context[comp])
                            if s.ct == -1:
                                corrupt += 1
                                break
                            blk[0] = <int16_t>(last_dc[comp] * (1 << al))
                            if kind == SEQUENTIAL and decode_ac_band(s, blk, ac_ids[comp], 1, 63, 0):
                                corrupt += 1
                                break
                        elif kind == DC_REFINE:
                            if arithmetic_decode(s, &s.fixed):
                                blk[0] = <int16_t>(blk[0] | p1)
                        elif kind == AC_FIRST:
                            if decode_ac_band(s, blk, ac_ids[comp], ss, se, al):
                                corrupt += 1
                                break
                        elif decode_ac_refinement(s, blk, ac_ids[comp], ss, se, al):
                            corrupt += 1
                            break
        return {
            "end": s.src.marker_pos if s.src.marker else s.src.pos,
            "insufficient": bool(s.src.marker == EOI and s.src.marker_pos >= data.shape[0]),
            "bad_codes": corrupt,
            "bad_restarts": bad_restarts,
            "pad_bit": -1,
            "bad_padding": 0,
            "stray_bytes": 0,
            "fill_bytes": 0,
            "mcus": mcus_done,
        }
    finally:
        free(s)
# ---------------------------------------------------------------- encoding
#
# Every scan kind is encoded by one driver, `run_scan`: it walks the MCUs,
# keeps the output buffer large enough, ends and starts each restart interval
# (closing EOB runs, padding or terminating the coder, writing RSTn,
# resetting DC predictions and statistics) and hands each block to the coder
# of the scan's kind.  The coders below only code blocks: Huffman sequential
# (T.81 F.1.2), Huffman progressive (G.1.2, as libjpeg's jcphuff.c orders its
# EOB runs and correction bits) and arithmetic (Annex D, F.1.4, G.1.3, as
# libjpeg's jcarith.c terminates its intervals).  Huffman scans can also be
# run in counting mode, which tallies symbols for optimal tables instead.

cdef enum:
    MAX_CORRECTION_BITS = 1000  # libjpeg's MAX_CORR_BITS: correction bits held back
    MAX_EOBRUN = 0x7FFF         # the longest run EOB14 codes
    ARITH_BLOCK_ROOM = 8448     # bytes one block can cost the arithmetic coder, stuffed
    HUFFMAN_BLOCK_ROOM = 1024   # the same for Huffman: 64 codes of 32 bits, stuffed

cpdef enum Coding:
    HUFFMAN = 0
    ARITHMETIC = 1


cdef struct OutBits:
    # Writer state kept in registers: `acc` holds 64 - `free` pending bits
    # (in its low end; higher bits are stale) and `out` is the next byte.
    uint64_t acc
    int free
    uint8_t* out


cdef uint8_t* put_bytes_stuffed(uint8_t* out, uint64_t word, int n) noexcept nogil:
    """The top n bytes of word, each 0xFF followed by a stuffed 0 (T.81 F.1.2.3)."""
    cdef int i
    cdef uint8_t byte
    for i in range(n):
        byte = <uint8_t>(word >> (56 - 8 * i))
        out[0] = byte
        out += 1
        if byte == 0xFF:
            out[0] = 0
            out += 1
    return out


cdef inline void put_bits(OutBits* b, uint64_t code, int size) noexcept nogil:
    """Append the low `size` (at most 32) bits of code; write out whole 64-bit
    words, in one store unless one of their bytes needs stuffing."""
    cdef uint64_t word
    b.free -= size
    if b.free >= 0:
        b.acc = (b.acc << size) | code
        return
    word = (b.acc << (size + b.free)) | (code >> -b.free)
    if has_ff_byte(word):
        b.out = put_bytes_stuffed(b.out, word, 8)
    else:
        store_be64(b.out, word)
        b.out += 8
    b.free += 64
    b.acc = code


cdef inline void flush_bits(OutBits* b, int pad_bit) noexcept nogil:
    """Pad to a byte boundary with pad_bit and write out everything pending."""
    cdef int used = 64 - b.free
    cdef int pad = -used & 7
    if pad:
        put_bits(b, ((1u << pad) - 1) if pad_bit else 0, pad)
        used = 64 - b.free
    if used:
        b.out = put_bytes_stuffed(b.out, b.acc << (64 - used), used >> 3)
    b.acc = 0
    b.free = 64


cdef inline uint64_t nonzero_ac_mask(const int16_t* blk) noexcept nogil:
    """Bit k set when the coefficient at zigzag index k (1..63) is nonzero."""
    cdef uint64_t natural = nonzero_mask(blk)
    cdef uint64_t mask = 0
    cdef int j
    for j in range(16):
        mask |= ZZ_BITS[j][(natural >> (4 * j)) & 15]
    return mask & ~<uint64_t>1


cdef inline uint64_t with_magnitude(uint32_t code, int value, int size) noexcept nogil:
    """The code of a packed table entry followed by the `size` magnitude bits
    of value (T.81 F.1.2.1: value, or value - 1 in two's complement when it is
    negative).  The negative case is ((code + 1) << size) + value - 1, which
    needs no mask."""
    cdef int sign = value >> 31
    return ((<uint64_t>(code >> 8) - sign) << size) + <uint64_t>(<int64_t>(value + sign))


cdef void pack_codes(uint32_t* out, object table) except *:
    """(codes, sizes) arrays -> code << 8 | code length per symbol, 0 for none."""
    cdef const uint32_t[::1] codes = table[0]
    cdef const uint8_t[::1] sizes = table[1]
    cdef int symbol
    if codes.shape[0] < 256 or sizes.shape[0] < 256:
        raise ValueError("Huffman code arrays must cover 256 symbols")
    for symbol in range(256):
        out[symbol] = (codes[symbol] << 8) | sizes[symbol] if sizes[symbol] else 0


class EncodeError(ValueError):
    """A coefficient the tables or the precision cannot code."""


cdef struct Failure:
    int kind   # 1: value too large for max_category, 2: symbol without a code, 3: DC difference too large
    int value  # the value or the symbol


cdef struct ArithmeticCoder:
    # The encoder: its registers, the last byte held back (it may still take
    # a carry), stacked 0xFF bytes and pending zero bytes (dropped if nothing
    # follows them: "Pacman" termination, T.81 D.1.8).
    CoderRegisters regs
    int64_t stacked_ff
    int64_t pending_zeros
    int held            # the byte held back, -1 for none
    # statistics bins: MPS sense << 8 | state index << 1, as js_arith_step
    # reads them (16-bit, so that storing one cannot alias the registers
    # above: they stay in CPU registers)
    uint16_t dc_stats[4][64]
    uint16_t ac_stats[4][256]
    int dc_context[4]         # per scan component: conditioning of its next DC
    int dc_table[4]           # per scan component
    int ac_table[4]
    int dc_l[4]               # conditioning (DAC) per table
    int dc_u[4]
    int ac_k[4]


cdef struct Encoder:
    int coding          # HUFFMAN or ARITHMETIC
    int kind            # ScanKind
    int ss, se, ah, al
    int max_category
    int pad_bit
    bint counting       # Huffman only: tally symbols, write nothing
    int nslots
    uint8_t* buf
    Py_ssize_t capacity
    OutBits b
    Failure fail
    int last_dc[4]
    # Huffman, per scan component: packed codes, or frequencies when counting
    uint32_t dc[4][256]
    uint32_t ac[4][256]
    int64_t* dc_freq[4]
    int64_t* ac_freq[4]
    # progressive Huffman: the pending EOB run and its held-back correction bits
    int eobrun
    int correction_count
    int correction_limit  # end the run when more are held (libjpeg), or never (maximal)
    uint64_t* corrections  # held-back bits, packed from the top of the first word
    ArithmeticCoder arith


cdef inline void fail_with(Encoder* e, int kind, int value) noexcept nogil:
    if not e.fail.kind:
        e.fail.kind = kind
        e.fail.value = value


# ------------------------------------------------ Huffman, sequential scans

cdef inline int dc_category(int16_t* blk, int* last_dc, int max_category, Failure* fail) noexcept nogil:
    cdef int diff = blk[0] - last_dc[0]
    cdef int size = bit_length(diff if diff >= 0 else -diff)
    last_dc[0] = blk[0]
    if size > max_category + 1:
        fail.kind = 3
        fail.value = diff
    return size


cdef inline int count_block(int16_t* blk, int* last_dc, int64_t* dc_freq, int64_t* ac_freq,
                            int max_category, Failure* fail) noexcept nogil:
    """Tally a block's symbols; nonzero on failure."""
    cdef uint64_t mask
    cdef int k, last = 0, run, value, size
    size = dc_category(blk, last_dc, max_category, fail)
    if fail.kind:
        return 1
    dc_freq[size] += 1
    mask = nonzero_ac_mask(blk)
    while mask:
        k = ctz64(mask)
        mask &= mask - 1
        run = k - last - 1
        last = k
        value = blk[ZZ[k]]
        size = bit_length_nonzero(value if value >= 0 else -value)
        if size > max_category:
            fail.kind = 1
            fail.value = value
            return 1
        while run > 15:
            ac_freq[0xF0] += 1
            run -= 16
        ac_freq[(run << 4) | size] += 1
    if last != 63:
        ac_freq[0] += 1
    return 0


cdef inline int encode_block(OutBits* b, int16_t* blk, int* last_dc, const uint32_t* dc,
                             const uint32_t* ac, int max_category, Failure* fail) noexcept nogil:
    """Huffman-code a block with packed tables; nonzero on failure."""
    cdef uint64_t mask
    cdef uint32_t code
    cdef int k, last = 0, run, value, size, symbol
    value = blk[0] - last_dc[0]
    size = dc_category(blk, last_dc, max_category, fail)
    if fail.kind:
        return 1
    code = dc[size]
    if code == 0:
        fail.kind = 2
        fail.value = size
        return 1
    put_bits(b, with_magnitude(code, value, size), (code & 0xFF) + size)
    mask = nonzero_ac_mask(blk)
    while mask:
        k = ctz64(mask)
        mask &= mask - 1
        run = k - last - 1
        last = k
        value = blk[ZZ[k]]
        size = bit_length_nonzero(value if value >= 0 else -value)
        if size > max_category:
            fail.kind = 1
            fail.value = value
            return 1
        while run > 15:
            code = ac[0xF0]
            if code == 0:
                fail.kind = 2
                fail.value = 0xF0
                return 1
            put_bits(b, code >> 8, code & 0xFF)
            run -= 16
        symbol = (run << 4) | size
        code = ac[symbol]
        if code == 0:
            fail.kind = 2
            fail.value = symbol
            return 1
        put_bits(b, with_magnitude(code, value, size), (code & 0xFF) + size)
    if last != 63:
        code = ac[0]
        if code == 0:
            fail.kind = 2
            fail.value = 0
            return 1
        put_bits(b, code >> 8, code & 0xFF)
    return 0


cdef inline void huffman_sequential(Encoder* e, int16_t* blk, int comp) noexcept nogil:
    cdef OutBits b
    if e.counting:
        count_block(blk, &e.last_dc[comp], e.dc_freq[comp], e.ac_freq[comp],
                    e.max_category, &e.fail)
        return
    b = e.b  # a local copy the compiler can keep in registers
    encode_block(&b, blk, &e.last_dc[comp], e.dc[comp], e.ac[comp], e.max_category, &e.fail)
    e.b = b


# ----------------------------------------------- Huffman, progressive scans
#
# The block coders take the bit writer as a local copy (`b`), which the
# compiler keeps in registers, and walk only the coefficients a scan sees as
# nonzero, found 64 at a time with a bit mask in zigzag order.

cdef inline uint64_t zigzag_mask(uint64_t natural, int ss, int se) noexcept nogil:
    """Natural-order bits -> zigzag-order bits, kept to positions ss..se."""
    cdef uint64_t mask = 0
    cdef int j
    for j in range(16):
        mask |= ZZ_BITS[j][(natural >> (4 * j)) & 15]
    return mask & (~<uint64_t>0 >> (63 - se)) & (~<uint64_t>0 << ss)


cdef inline void emit_symbol(Encoder* e, OutBits* b, const uint32_t* table, int64_t* freq,
                             int symbol) noexcept nogil:
    cdef uint32_t code
    if e.counting:
        freq[symbol] += 1
        return
    code = table[symbol]
    if code == 0:
        fail_with(e, 2, symbol)
        return
    put_bits(b, code >> 8, code & 0xFF)


cdef inline void emit_raw(Encoder* e, OutBits* b, uint32_t value, int size) noexcept nogil:
    if not e.counting and size:
        put_bits(b, value & ((1u << size) - 1), size)


cdef inline void emit_bits64(OutBits* b, uint64_t bits, int n) noexcept nogil:
    """The low n (<= 64) bits of `bits`, in at most two writes."""
    if n > 32:
        put_bits(b, (bits >> 32) & ((<uint64_t>1 << (n - 32)) - 1), n - 32)
        n = 32
    if n:
        put_bits(b, bits & ((<uint64_t>1 << n) - 1), n)


cdef inline void hold_corrections(Encoder* e, uint64_t bits, int n) noexcept nogil:
    """Append n (< 64) correction bits to those the pending EOB run holds back."""
    cdef int i = e.correction_count >> 6
    cdef int room = 64 - (e.correction_count & 63)
    if n == 0:
        return
    if room == 64:
        e.corrections[i] = 0
    if n <= room:
        e.corrections[i] |= bits << (room - n)
    else:
        e.corrections[i] |= bits >> (n - room)
        e.corrections[i + 1] = bits << (64 - (n - room))
    e.correction_count += n


cdef void emit_held_corrections(Encoder* e, OutBits* b) noexcept nogil:
    cdef int i, rest = e.correction_count & 63
    if e.counting:
        return
    for i in range(e.correction_count >> 6):
        emit_bits64(b, e.corrections[i], 64)
    if rest:
        emit_bits64(b, e.corrections[e.correction_count >> 6] >> (64 - rest), rest)


cdef void emit_eobrun(Encoder* e, OutBits* b) noexcept nogil:
    """Code the pending run of end-of-band blocks, then their correction bits
    (an AC scan has one component, so its table is the first)."""
    cdef int size
    if e.eobrun > 0:
        size = bit_length(e.eobrun) - 1
        emit_symbol(e, b, e.ac[0], e.ac_freq[0], size << 4)
        emit_raw(e, b, e.eobrun, size)
        e.eobrun = 0
        emit_held_corrections(e, b)
        e.correction_count = 0


cdef void huffman_dc_first(Encoder* e, const int16_t* blk, int comp) noexcept nogil:
    cdef int shifted = blk[0] >> e.al  # arithmetic shift, as libjpeg's IRIGHT_SHIFT
    cdef int diff = shifted - e.last_dc[comp]
    cdef int size = bit_length(diff if diff >= 0 else -diff)
    e.last_dc[comp] = shifted
    if size > e.max_category + 1:
        fail_with(e, 3, diff)
        return
    cdef OutBits b = e.b
    emit_symbol(e, &b, e.dc[comp], e.dc_freq[comp], size)
    emit_raw(e, &b, <uint32_t>(diff if diff >= 0 else diff - 1), size)
    e.b = b


cdef void huffman_ac_first(Encoder* e, const int16_t* blk) noexcept nogil:
    cdef OutBits b = e.b
    cdef uint64_t mask = zigzag_mask(magnitude_mask(blk, 1 << e.al), e.ss, e.se)
    cdef int k, value, magnitude, run, size, last = e.ss - 1
    while mask:
        k = ctz64(mask)
        mask &= mask - 1
        run = k - last - 1
        last = k
        value = blk[ZZ[k]]
        magnitude = (value if value >= 0 else -value) >> e.al
        size = bit_length_nonzero(magnitude)
        if size > e.max_category:
            fail_with(e, 1, value)
            break
        emit_eobrun(e, &b)
        while run > 15:
            emit_symbol(e, &b, e.ac[0], e.ac_freq[0], 0xF0)
            run -= 16
        emit_symbol(e, &b, e.ac[0], e.ac_freq[0], (run << 4) | size)
        emit_raw(e, &b, <uint32_t>(magnitude if value >= 0 else ~magnitude), size)
    if last < e.se:
        e.eobrun += 1
        if e.eobrun == MAX_EOBRUN:
            emit_eobrun(e, &b)
    e.b = b


cdef void huffman_ac_refine(Encoder* e, const int16_t* blk) noexcept nogil:
    cdef OutBits b = e.b
    cdef uint64_t pending = 0  # this block's correction bits not yet coded, `count` of them
    cdef uint64_t seen = zigzag_mask(magnitude_mask(blk, 1 << e.al), e.ss, e.se)
    # newly nonzero in this scan: seen now, not seen by the scans before
    cdef uint64_t new = seen & ~zigzag_mask(magnitude_mask(blk, 2 << e.al), e.ss, e.se)
    cdef int end_of_band = 63 - clz64(new) if new else 0
    cdef int k, run = 0, count = 0, last = e.ss - 1, value
    while seen:
        k = ctz64(seen)
        seen &= seen - 1
        run += k - last - 1
        last = k
        while run > 15 and k <= end_of_band:
            emit_eobrun(e, &b)
            emit_symbol(e, &b, e.ac[0], e.ac_freq[0], 0xF0)
            run -= 16
            if not e.counting:
                emit_bits64(&b, pending, count)
            count = 0
        value = blk[ZZ[k]]
        if not (new >> k) & 1:  # already nonzero: only its next bit, as a correction
            pending = (pending << 1) | (((value if value >= 0 else -value) >> e.al) & 1)
            count += 1
            continue
        emit_eobrun(e, &b)
        emit_symbol(e, &b, e.ac[0], e.ac_freq[0], (run << 4) | 1)
        emit_raw(e, &b, 0 if value < 0 else 1, 1)
        if not e.counting:
            emit_bits64(&b, pending, count)
        count = 0
        run = 0
    run += e.se - last
    if run > 0 or count > 0:
        e.eobrun += 1
        hold_corrections(e, pending, count)
        if e.eobrun == MAX_EOBRUN or e.correction_count > e.correction_limit:
            emit_eobrun(e, &b)
    e.b = b


# ------------------------------------------------------ arithmetic coding

cdef inline void arith_put(Encoder* e, int byte) noexcept nogil:
    e.b.out[0] = <uint8_t>byte
    e.b.out += 1


cdef inline void arith_put_stuffed(Encoder* e, int byte) noexcept nogil:
    arith_put(e, byte)
    if byte == 0xFF:
        arith_put(e, 0)


cdef inline void arith_release_zeros(Encoder* e) noexcept nogil:
    """Write the zero bytes held back, now that something follows them."""
    while e.arith.pending_zeros > 0:
        arith_put(e, 0)
        e.arith.pending_zeros -= 1


cdef inline void arith_carry_out(Encoder* e) noexcept nogil:
    """A carry ran into the held byte: it goes out incremented, and the
    stacked 0xFF bytes after it become zeros (still held back)."""
    cdef ArithmeticCoder* s = &e.arith
    if s.held >= 0:
        arith_release_zeros(e)
        arith_put_stuffed(e, s.held + 1)
    s.pending_zeros += s.stacked_ff
    s.stacked_ff = 0


cdef inline void arith_settle(Encoder* e) noexcept nogil:
    """No carry can reach the held byte and the stacked 0xFFs any more: write
    them (a zero byte is held back instead, in case nothing follows it)."""
    cdef ArithmeticCoder* s = &e.arith
    if s.held == 0:
        s.pending_zeros += 1
    elif s.held > 0:
        arith_release_zeros(e)
        arith_put(e, s.held)
    if s.stacked_ff:
        arith_release_zeros(e)
        while s.stacked_ff:
            arith_put(e, 0xFF)
            arith_put(e, 0)
            s.stacked_ff -= 1


cdef inline void arith_encode(Encoder* e, CoderRegisters* r, uint16_t* bin,
                              int bit) noexcept nogil:
    """Code one binary decision with the statistics in `bin` (T.81 D.1.2-D.1.6,
    in js_arith_step), then write out the whole bytes C has gathered, a few
    at a time."""
    arith_step(r, bin, bit, DECISION_ROW)
    if r.ct <= -16:
        arith_flush_bytes(e, r)


cdef inline void arith_flush_bytes(Encoder* e, CoderRegisters* r) noexcept nogil:
    """Write out the whole bytes C holds above its low 19 bits, oldest first.

    T.81's coder (and libjpeg's) takes a byte out each time CT runs out;
    here CT goes on below zero, C keeping the whole bytes above the next
    partial one, and they go out three or four at a time: one rarely taken
    branch in the coding step instead of one every eight bits or so.  A
    carry from the additions to C runs through the bytes still held in it
    by itself; only one out of the oldest reaches the byte held back.
    """
    cdef ArithmeticCoder* s = &e.arith
    cdef int extra = -r.ct  # bits shifted in since the oldest byte was whole
    cdef int position = 19 + extra  # that byte's lowest bit
    cdef int64_t byte
    while position >= 19:
        byte = r.c >> position
        if byte > 0xFF:
            arith_carry_out(e)
            s.held = <int>(byte & 0xFF)
        elif byte == 0xFF:
            s.stacked_ff += 1
        else:
            arith_settle(e)
            s.held = <int>byte
        r.c &= (<int64_t>1 << position) - 1
        position -= 8
    r.ct = 8 - (extra & 7)


cdef inline void arith_encode_fixed(Encoder* e, CoderRegisters* r, int bit) noexcept nogil:
    """A decision at T.81's fixed probability 0.5 (signs, refinement bits): a
    state that never changes, so a constant the compiler folds in, not a bin
    loaded and stored for each."""
    cdef uint16_t fixed = FIXED_STATE << 1
    arith_encode(e, r, &fixed, bit)


cdef void arith_finish(Encoder* e) noexcept nogil:
    """Terminate the interval (T.81 D.1.8) with the fewest bytes, as libjpeg does."""
    cdef CoderRegisters* r = &e.arith.regs
    cdef int64_t base
    if r.ct <= 0:  # whole bytes still in C: out first
        arith_flush_bytes(e, r)
    base = (r.a - 1 + r.c) & 0xFFFF0000LL
    # the value in the final interval with the most trailing zero bits
    r.c = base + 0x8000 if base < r.c else base
    r.c <<= r.ct
    if r.c & 0xF8000000LL:
        arith_carry_out(e)
    else:
        arith_settle(e)
    if r.c & 0x7FFF800LL:  # final bytes only when not zero
        arith_release_zeros(e)
        arith_put_stuffed(e, <int>((r.c >> 19) & 0xFF))
        if r.c & 0x7F800:
            arith_put_stuffed(e, <int>((r.c >> 11) & 0xFF))


cdef inline void arith_ladder(Encoder* e, CoderRegisters* r, uint16_t* st, int m,
                              int v) noexcept nogil:
    """T.81 F.8 and F.9: climb the category ladder from bin `st`, m being the
    category reached so far, until m is v's top bit; then code v's bits below
    it with the bins 14 further on."""
    cdef uint16_t bits_bin
    while (m << 1) <= v:
        arith_encode(e, r, st, 1)
        m <<= 1
        st += 1
    arith_encode(e, r, st, 0)
    st += 14
    m >>= 1
    # every bit below the top one codes with the same bin: keep it in a local
    # (a register) for the run, rather than store and reload it per bit
    bits_bin = st[0]
    while m:
        arith_encode(e, r, &bits_bin, 1 if m & v else 0)
        m >>= 1
    st[0] = bits_bin


cdef void arith_dc(Encoder* e, int value, int comp) noexcept nogil:
    """T.81 F.1.4.1: the difference of value from the component's last, with
    the conditioning of the last difference's size and sign."""
    cdef ArithmeticCoder* s = &e.arith
    cdef CoderRegisters r = s.regs
    cdef int table = s.dc_table[comp]
    cdef uint16_t* st = &s.dc_stats[table][s.dc_context[comp]]
    cdef int v = value - e.last_dc[comp], m
    if v == 0:
        arith_encode(e, &r, st, 0)
        s.dc_context[comp] = 0
        s.regs = r
        return
    if bit_length(v if v > 0 else -v) > e.max_category + 1:
        fail_with(e, 3, v)
        s.regs = r
        return
    e.last_dc[comp] = value
    arith_encode(e, &r, st, 1)
    if v > 0:
        arith_encode(e, &r, st + 1, 0)
        st += 2
        s.dc_context[comp] = 4
    else:
        v = -v
        arith_encode(e, &r, st + 1, 1)
        st += 3
        s.dc_context[comp] = 8
    v -= 1
    if v == 0:
        arith_encode(e, &r, st, 0)
        m = 0
    else:
        arith_encode(e, &r, st, 1)
        arith_ladder(e, &r, &s.dc_stats[table][20], 1, v)
        m = 1 << (bit_length_nonzero(v) - 1)
    # F.1.4.4.1.2: small differences condition the next one as zero, large ones apart
    if m < ((1 << s.dc_l[table]) >> 1):
        s.dc_context[comp] = 0
    elif m > ((1 << s.dc_u[table]) >> 1):
        s.dc_context[comp] += 8
    s.regs = r


cdef void arith_ac_first(Encoder* e, const int16_t* blk, int comp, int ss, int se,
                         int al) noexcept nogil:
    """T.81 F.1.4.2 (a whole sequential block, ss = 1, al = 0) and G.1.3.2."""
    cdef ArithmeticCoder* s = &e.arith
    cdef CoderRegisters r = s.regs
    cdef int table = s.ac_table[comp]
    cdef uint16_t* st
    cdef uint64_t seen = zigzag_mask(magnitude_mask(blk, 1 << al), ss, se)
    cdef int k, end = 63 - clz64(seen) if seen else ss - 1, value, v
    k = ss
    while k <= end:
        st = &s.ac_stats[table][3 * (k - 1)]
        arith_encode(e, &r, st, 0)  # not the end of the block yet
        while not (seen >> k) & 1:  # zero coefficients up to the next one seen
            arith_encode(e, &r, st + 1, 0)
            st += 3
            k += 1
        value = blk[ZZ[k]]
        v = (value if value >= 0 else -value) >> al
        if bit_length_nonzero(v) > e.max_category:
            fail_with(e, 1, value)
            s.regs = r
            return
        arith_encode(e, &r, st + 1, 1)
        arith_encode_fixed(e, &r, 1 if value < 0 else 0)
        st += 2
        v -= 1
        if v == 0:
            arith_encode(e, &r, st, 0)
        elif v == 1:
            arith_encode(e, &r, st, 1)
            arith_ladder(e, &r, st, 1, 1)
        else:  # the second step is the same bin, then the ladder of the band
            arith_encode(e, &r, st, 1)
            arith_encode(e, &r, st, 1)
            arith_ladder(e, &r, &s.ac_stats[table][189 if k <= s.ac_k[table] else 217], 2, v)
        k += 1
    if k <= se:
        arith_encode(e, &r, &s.ac_stats[table][3 * (k - 1)], 1)
    s.regs = r


cdef void arith_ac_refine(Encoder* e, const int16_t* blk, int comp) noexcept nogil:
    """T.81 G.1.3.3: a bit more of the coefficients already nonzero, and the
    sign of those that become nonzero now."""
    cdef ArithmeticCoder* s = &e.arith
    cdef CoderRegisters r = s.regs
    cdef int table = s.ac_table[comp]
    cdef uint16_t* st
    cdef uint64_t seen = zigzag_mask(magnitude_mask(blk, 1 << e.al), e.ss, e.se)
    # nonzero before this scan: the end of the block as the earlier scans left it
    cdef uint64_t before = zigzag_mask(magnitude_mask(blk, 1 << e.ah), e.ss, e.se)
    cdef int end = 63 - clz64(seen) if seen else 0
    cdef int previous_end = 63 - clz64(before) if before else 0
    cdef int k, value, v
    k = e.ss
    while k <= end:
        st = &s.ac_stats[table][3 * (k - 1)]
        if k > previous_end:
            arith_encode(e, &r, st, 0)
        while True:
            value = blk[ZZ[k]]
            v = (value if value >= 0 else -value) >> e.al
            if v:
                if v >> 1:  # already nonzero: its next bit
                    arith_encode(e, &r, st + 2, v & 1)
                else:
                    arith_encode(e, &r, st + 1, 1)
                    arith_encode_fixed(e, &r, 1 if value < 0 else 0)
                break
            arith_encode(e, &r, st + 1, 0)
            st += 3
            k += 1
        k += 1
    if k <= e.se:
        arith_encode(e, &r, &s.ac_stats[table][3 * (k - 1)], 1)
    s.regs = r


cdef void arith_block(Encoder* e, const int16_t* blk, int comp) noexcept nogil:
    if e.kind == SEQUENTIAL:
        arith_dc(e, blk[0], comp)
        arith_ac_first(e, blk, comp, 1, 63, 0)
    elif e.kind == DC_FIRST:
        arith_dc(e, blk[0] >> e.al, comp)
    elif e.kind == DC_REFINE:
        arith_encode_fixed(e, &e.arith.regs, (blk[0] >> e.al) & 1)
    elif e.kind == AC_FIRST:
        arith_ac_first(e, blk, comp, e.ss, e.se, e.al)
    else:
        arith_ac_refine(e, blk, comp)


# ------------------------------------------------------------ the driver

cdef inline bint uses_dc(int kind) noexcept nogil:
    return kind == SEQUENTIAL or kind == DC_FIRST


cdef inline bint uses_ac(int kind) noexcept nogil:
    return kind == SEQUENTIAL or kind == AC_FIRST or kind == AC_REFINE


cdef void start_interval(Encoder* e) noexcept nogil:
    """What every restart interval starts from (T.81 F.1.1.5, F.1.4.4, G.1.2)."""
    cdef ArithmeticCoder* s = &e.arith
    cdef int i
    e.last_dc[0] = e.last_dc[1] = e.last_dc[2] = e.last_dc[3] = 0
    e.eobrun = 0
    e.correction_count = 0
    if e.coding == ARITHMETIC:
        for i in range(4):
            s.dc_context[i] = 0
            if uses_dc(e.kind):
                memset(s.dc_stats[s.dc_table[i]], 0, sizeof(s.dc_stats[0]))
            if uses_ac(e.kind):
                memset(s.ac_stats[s.ac_table[i]], 0, sizeof(s.ac_stats[0]))
        s.regs.c = 0
        s.regs.a = 0x10000
        s.stacked_ff = 0
        s.pending_zeros = 0
        s.regs.ct = 11
        s.held = -1


cdef void end_interval(Encoder* e) noexcept nogil:
    """Close the interval: pending EOB run, then padding or termination."""
    if e.coding == ARITHMETIC:
        arith_finish(e)
        return
    if e.kind == AC_FIRST or e.kind == AC_REFINE:
        emit_eobrun(e, &e.b)
    if not e.counting:
        flush_bits(&e.b, e.pad_bit)


cdef int ensure_room(Encoder* e) noexcept nogil:
    """Grow the output buffer to hold the worst case of one more MCU and of
    everything held back; -1 when memory runs out."""
    cdef Py_ssize_t length, want
    cdef uint8_t* grown
    if e.counting:
        return 0
    length = e.b.out - e.buf
    if e.coding == ARITHMETIC:
        want = ARITH_BLOCK_ROOM * e.nslots + e.arith.pending_zeros + 2 * e.arith.stacked_ff
    else:
        want = HUFFMAN_BLOCK_ROOM * e.nslots + e.correction_count // 4
    want += length + 64  # pending bits and a restart marker
    if want <= e.capacity:
        return 0
    if want < 2 * e.capacity:
        want = 2 * e.capacity
    grown = <uint8_t*>realloc(e.buf, want)
    if grown == NULL:
        return -1
    e.buf = grown
    e.capacity = want
    e.b.out = grown + length
    return 0


cdef int run_scan(Encoder* e, Layout* lay, int mcus_wide, int mcus_high,
                  int restart_interval) noexcept nogil:
    """Code every MCU of the scan; -1 when memory runs out, else 0 (a coder's
    failure is left in e.fail)."""
    cdef int mrow, mcol, slot, comp, in_interval = 0, next_restart = 0
    cdef int16_t* blk
    start_interval(e)
    for mrow in range(mcus_high):
        for mcol in range(mcus_wide):
            if ensure_room(e) < 0:
                return -1
            if restart_interval and in_interval == restart_interval:
                end_interval(e)
                if not e.counting:
                    e.b.out[0] = 0xFF
                    e.b.out[1] = RST0 + next_restart
                    e.b.out += 2
                next_restart = (next_restart + 1) & 7
                start_interval(e)
                in_interval = 0
            in_interval += 1
            for slot in range(lay.nslots):
                blk = block_at(lay, slot, mrow, mcol)
                comp = lay.comp[slot]
                if e.coding == ARITHMETIC:
                    arith_block(e, blk, comp)
                elif e.kind == SEQUENTIAL:
                    huffman_sequential(e, blk, comp)
                elif e.kind == DC_FIRST:
                    huffman_dc_first(e, blk, comp)
                elif e.kind == DC_REFINE:
                    emit_raw(e, &e.b, (blk[0] >> e.al) & 1, 1)
                elif e.kind == AC_FIRST:
                    huffman_ac_first(e, blk)
                else:
                    huffman_ac_refine(e, blk)
                if e.fail.kind:
                    return 0
    if ensure_room(e) < 0:
        return -1
    end_interval(e)
    return 0


cdef Encoder* new_encoder(tuple arrays, const int32_t[:, ::1] slots, Layout* lay, int coding,
                          int kind, int ss, int se, int ah, int al) except NULL:
    cdef Encoder* e
    make_layout(lay, arrays, slots)
    if kind < SEQUENTIAL or kind > AC_REFINE:
        raise ValueError(f"unknown scan kind {kind}")
    if (kind == AC_FIRST or kind == AC_REFINE) and lay.nslots != 1:
        raise ValueError("a progressive AC scan holds one component")
    e = <Encoder*>malloc(sizeof(Encoder))
    if e == NULL:
        raise MemoryError()
    memset(e, 0, sizeof(Encoder))
    e.coding = coding
    e.kind = kind
    e.ss = ss
    e.se = se
    e.ah = ah
    e.al = al
    e.nslots = lay.nslots
    e.pad_bit = 1
    e.b.free = 64
    e.capacity = 1 << 16
    e.buf = <uint8_t*>malloc(e.capacity)
    if e.buf == NULL:
        free(e)
        raise MemoryError()
    e.b.out = e.buf
    return e


cdef void free_encoder(Encoder* e) noexcept:
    free(e.corrections)
    free(e.buf)
    free(e)


cdef bytes finish_encoder(Encoder* e, int status):
    """The coded bytes, or the coder's failure as an exception."""
    if status < 0:
        raise MemoryError()
    if e.fail.kind == 1:
        raise EncodeError(f"coefficient {e.fail.value} is too large for this precision")
    if e.fail.kind == 3:
        raise EncodeError(f"DC difference {e.fail.value} is too large for this precision")
    if e.fail.kind == 2:
        raise EncodeError(f"Huffman table has no code for symbol 0x{e.fail.value:02X}")
    return e.buf[:e.b.out - e.buf]


cdef void take_table(uint32_t* codes, int64_t** frequencies, object table,
                     bint counting) except *:
    """A scan component's table: packed codes, or where its counts go."""
    cdef int64_t[::1] freq
    if table is None:
        raise ValueError("a scan component lacks a Huffman table its scan kind needs")
    if counting:
        freq = table
        frequencies[0] = &freq[0]
    else:
        pack_codes(codes, table)


def encode_scan(tuple arrays, const int32_t[:, ::1] slots, int mcus_wide, int mcus_high,
                int restart_interval, int kind, int ss, int se, int ah, int al,
                tuple dc_tables, tuple ac_tables, int max_category, int pad_bit,
                bint counting, bint maximal_eob_runs=False):
    """Huffman-code one scan of any kind, or with `counting` only tally its symbols.

    dc_tables/ac_tables hold per scan component either (codes, sizes) arrays
    or, when counting, an int64[257] frequency array to add to; a kind that
    codes no symbols of a class takes None there.  Progressive AC refinement
    scans end an EOB run early when its correction bits fill libjpeg's
    buffer, unless `maximal_eob_runs`: then only EOB14's limit, a restart or
    the scan's end closes a run.  Returns the entropy-coded bytes (empty when
    counting).
    """
    cdef Layout lay
    cdef Encoder* e = new_encoder(arrays, slots, &lay, HUFFMAN, kind, ss, se, ah, al)
    cdef int i, comp, status
    try:
        e.max_category = max_category
        e.pad_bit = pad_bit
        e.counting = counting
        for i in range(lay.nslots):
            comp = lay.comp[i]
            if uses_dc(kind):
                take_table(e.dc[comp], &e.dc_freq[comp], dc_tables[comp], counting)
            if uses_ac(kind):
                take_table(e.ac[comp], &e.ac_freq[comp], ac_tables[comp], counting)
        if kind == AC_REFINE:
            e.correction_limit = (MAX_EOBRUN * 63 if maximal_eob_runs
                                  else MAX_CORRECTION_BITS - 63)
            e.corrections = <uint64_t*>malloc((e.correction_limit + 64) // 64 * 8 + 16)
            if e.corrections == NULL:
                raise MemoryError()
        with nogil:
            status = run_scan(e, &lay, mcus_wide, mcus_high, restart_interval)
        return finish_encoder(e, status)
    finally:
        free_encoder(e)


def encode_arithmetic_scan(tuple arrays, const int32_t[:, ::1] slots, int mcus_wide,
                           int mcus_high, int restart_interval, int kind, int ss, int se,
                           int ah, int al, const int32_t[::1] dc_ids, const int32_t[::1] ac_ids,
                           const int32_t[::1] conditioning, int max_category):
    """Arithmetic-code one scan of any kind (T.81 Annex D, F.1.4, G.1.3) as
    libjpeg's jcarith.c does.  dc_ids/ac_ids give each scan component's
    statistics tables (0..3); `conditioning` the DAC values in force: DC L for
    tables 0-3, DC U for 0-3, AC Kx for 0-3.  Returns the entropy-coded bytes."""
    cdef Layout lay
    cdef Encoder* e = new_encoder(arrays, slots, &lay, ARITHMETIC, kind, ss, se, ah, al)
    cdef int i, status
    try:
        e.max_category = max_category
        if dc_ids.shape[0] < len(arrays) or ac_ids.shape[0] < len(arrays):
            raise ValueError("every scan component needs its table ids")
        for i in range(4):
            e.arith.dc_table[i] = dc_ids[i] if i < dc_ids.shape[0] else 0
            e.arith.ac_table[i] = ac_ids[i] if i < ac_ids.shape[0] else 0
            if not (0 <= e.arith.dc_table[i] < 4 and 0 <= e.arith.ac_table[i] < 4):
                raise ValueError("arithmetic coding table ids must be 0..3")
            e.arith.dc_l[i] = conditioning[i]
            e.arith.dc_u[i] = conditioning[4 + i]
            e.arith.ac_k[i] = conditioning[8 + i]
        with nogil:
            status = run_scan(e, &lay, mcus_wide, mcus_high, restart_interval)
        return finish_encoder(e, status)
    finally:
        free_encoder(e)


# ------------------------------------------------- the bit layer, for tests

def write_bits(fields, int pad_bit=1):
    """The bit writer alone: append each (value, size <= 32) field, stuff
    every 0xFF byte with a 0 and pad the last byte with pad_bit."""
    cdef OutBits b
    cdef uint8_t* buf
    cdef Py_ssize_t total = 0
    fields = [(int(value), int(size)) for value, size in fields]
    for value, size in fields:
        if not 0 <= size <= 32 or not 0 <= value < (1 << size):
            raise ValueError(f"field {value} does not fit {size} bits")
        total += size
    buf = <uint8_t*>malloc(total // 4 + 32)
    if buf == NULL:
        raise MemoryError()
    try:
        b.acc = 0
        b.free = 64
        b.out = buf
        for value, size in fields:
            if size:
                put_bits(&b, value, size)
        flush_bits(&b, pad_bit)
        return buf[:b.out - buf]
    finally:
        free(buf)


def read_bits(const uint8_t[::1] data, sizes):
    """The bit reader alone: read fields of the given sizes (each <= 25 bits)
    from entropy-coded data.  Returns a dict: values, marker (the marker
    that stopped the reading, 0 for none, 0xD9 past the end) and its offset,
    insufficient (bits past the data were consumed, read as zeros) and pad
    (the unread bits of the last byte are all ones)."""
    cdef BitReader br
    cdef int size
    cdef uint8_t empty = 0
    values = []
    memset(&br, 0, sizeof(BitReader))
    br.data = &data[0] if data.shape[0] else &empty
    br.end = data.shape[0]
    br.last_word = data.shape[0] - 8
    br.marker_pos = br.end
    for size in sizes:
        if not 0 < size <= 25:
            raise ValueError("field sizes must be 1..25 bits")
        values.append(get_bits(&br, size))
    return {
        "values": values,
        "marker": br.marker,
        "marker_offset": br.marker_pos if br.marker else None,
        "insufficient": bool(br.insufficient),
        "pad": bool(padding_is_ones(&br)),
    }
