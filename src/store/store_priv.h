/*
 * store_priv.h - what the store's files share: byte encoding, index keys,
 * log records, the B+tree and the helpers of the record types.
 * Not for use outside src/store/.
 */
#ifndef STORE_PRIV_H
#define STORE_PRIV_H

#include <string.h>

#include "store/store.h"
#include "util/crc32.h"

/* ---- Little-endian encoding of on-flash fields --------------------------- */
static inline void st_put16(uint8_t *p, uint16_t v)
{ p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void st_put32(uint8_t *p, uint32_t v)
{ for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static inline void st_put64(uint8_t *p, uint64_t v)
{ for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static inline uint16_t st_get16(const uint8_t *p)
{ return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t st_get32(const uint8_t *p)
{ uint32_t v = 0; for (int i = 3; i >= 0; i--) v = (v << 8) | p[i]; return v; }
static inline uint64_t st_get64(const uint8_t *p)
{ uint64_t v = 0; for (int i = 7; i >= 0; i--) v = (v << 8) | p[i]; return v; }

/* ---- Index keys: 16 bytes, big-endian, so memcmp orders them ----------- *
 * owner (u32) | kind (u8) | id (u64) | 3 zero bytes                        */
enum {
    K_USER = 1,      /* owner 0, id = name hash: user record */
    K_MBOXNAME = 3,  /* owner user, id = name hash: mailbox id */
    K_SUB = 4,       /* owner user, id = name hash: subscribed name */
    /* 8: named blobs (store_blob.c: TLS certificate and key)
     * 9: message structure summaries (store_summary.c), keyed by data
     *    address, chunk number in the key's pad bytes */
    K_MBOX = 15,     /* owner mailbox, id 0: mailbox record (next to its
                        messages: an append touches nearby index paths) */
    K_MSG = 16,      /* owner mailbox, id = uid: message record */
    K_CHG = 17,      /* owner mailbox, id = modseq: uid of a message whose
                        flags changed (appends are found by uid instead) */
    K_XPEND = 18,    /* owner mailbox, id = uid: xmodseq (pending expunge) */
    K_XHIST = 19,    /* owner mailbox, id = uid: xmodseq (purged, QRESYNC) */
    K_KW = 20,       /* owner mailbox, id = index: keyword name */
    K_FWD = 10,      /* owner 0, id = old data address: where compaction
                        moved shared data (store_gc.c) */
    K_XBYMS = 21,    /* owner mailbox, id = xmodseq: uid (pending expunges
                        by modseq: the few a view has not announced, and
                        what a purge removes, without a walk) */
};
#define KEY_SIZE 16
#define VAL_MAX 255

/* Records must fit a leaf value (user: 56 fixed bytes + name; mailbox: 40
 * + name); slot numbers fit the int8_t parent links. */
#if IMAP_USER_NAME_MAX + 56 > VAL_MAX || IMAP_MAILBOX_NAME_MAX + 40 > VAL_MAX
#error "IMAP_USER_NAME_MAX or IMAP_MAILBOX_NAME_MAX too large for the store"
#endif
#if STORE_CACHE_SLOTS > 120
#error "STORE_NODE_CACHE is at most 120"
#endif

static inline void key_make(uint8_t k[KEY_SIZE], uint32_t owner, uint8_t kind,
                            uint64_t id)
{
    for (int i = 0; i < 4; i++) k[i] = (uint8_t)(owner >> (24 - 8 * i));
    k[4] = kind;
    for (int i = 0; i < 8; i++) k[5 + i] = (uint8_t)(id >> (56 - 8 * i));
    k[13] = k[14] = k[15] = 0;
}
static inline uint32_t key_owner(const uint8_t *k)
{ return (uint32_t)k[0] << 24 | (uint32_t)k[1] << 16 | (uint32_t)k[2] << 8 | k[3]; }
static inline uint8_t key_kind(const uint8_t *k) { return k[4]; }
static inline uint64_t key_id(const uint8_t *k)
{ uint64_t v = 0; for (int i = 0; i < 8; i++) v = (v << 8) | k[5 + i]; return v; }

/* Names are indexed by a 55-bit hash shifted left 8: the low byte tells
 * colliding names apart, and id + 1 never wraps (iteration cursors). */
uint64_t st_name_hash(const char *name);

/* ---- Log records ----------------------------------------------------------
 * header: magic u16, type u8, 0 u8, payload length u32, CRC32 u32
 * The CRC covers the format id, the first 8 header bytes and the payload. */
#define REC_MAGIC 0x5354u
/* Image format version, in every checkpoint: 2 = the ring with
 * compaction (issue 4), checkpoint slots. */
#define STORE_FORMAT_VERSION 2u
#define REC_HDR 12
enum {
    R_BLOCK = 1,     /* first record of an erase block: gen, erase count */
    R_PAD = 2,       /* the rest of the erase block is unused */
    R_NODE = 3,      /* an index node */
    R_COMMIT = 4,    /* commit point: sequence + state */
    R_RESERVE = 5,   /* a message data region follows: addr, length */
    R_CKPT = 6,      /* checkpoint (anchor blocks 0 and 1 only) */
    R_DATA = 7,      /* a whole small message, in the log itself */
};
/* data_addr of a message stored as a DATA record (not a chunk region) */
#define DATA_INLINE (1ull << 63)
#define NO_BLOCK UINT64_MAX
/* data_addr of a message whose data failed its CRC when compaction moved
 * it: every read of it is STORE_ECORRUPT (below the log, never valid) */
#define DATA_LOST 1ull
/* stored flags bit: the data is shared with a copy (store_gc.c) */
#define MSGF_SHARED 0x80000000u
#define STATE_SIZE 164

void st_state_put(uint8_t *p, const store_state_t *s);
void st_state_get(const uint8_t *p, store_state_t *s);

static inline uint64_t st_align_up(uint64_t v, uint64_t a)
{ return (v + a - 1) / a * a; }

int st_flash_err(int ferr);
uint32_t st_rec_crc(uint32_t seed, const uint8_t *hdr, const void *payload,
                    uint32_t len);
/* ---- The ring: logical addresses grow forever; the device holds the
 * window [tail, tail + ring) of them in blocks 2.. (store_log.c) ------- */
static inline uint64_t st_ring_base(const store_t *st)
{ return 2ull * st->erase_size; }
static inline uint64_t st_phys(const store_t *st, uint64_t a)
{ return st_ring_base(st) + (a - st_ring_base(st)) % st->ring; }
/* Flash access by logical address (split at block boundaries). */
int st_fread(store_t *st, uint64_t a, void *buf, size_t len);
int st_fprog(store_t *st, uint64_t a, const void *buf, size_t len);
int st_ferase(store_t *st, uint64_t a);
/* True when a is a record address inside the live log. */
bool st_in_log(const store_t *st, uint64_t a);
/* Bytes the head may still write before it meets the tail. */
uint64_t st_free(const store_t *st);
/* Ends the head's block (PAD), so the next record enters a new block. */
int log_end_block(store_t *st);

/* Reads log bytes, including those still in the write buffer. */
int log_read(store_t *st, uint64_t addr, void *buf, size_t len);
/* Reads and verifies one record at addr (header and CRC); *len_out gets the
 * payload length.  STORE_ECORRUPT if it is not a valid record of type. */
int log_get(store_t *st, uint64_t addr, uint8_t type, void *buf, uint32_t cap,
            uint32_t *len_out);
/* Appends a record (never straddling an erase block); *addr_out: where. */
int log_append(store_t *st, uint8_t type, const void *payload, uint32_t len,
               uint64_t *addr_out);
/* Pads the write buffer to a program unit and programs it. */
int log_flush(store_t *st);
/* Reserves a prog-aligned data region of len bytes. */
int log_reserve(store_t *st, uint64_t len, uint64_t *addr_out);
/* Before the chunk at addr of a region ending at region_end is written:
 * erases the block that starts inside the chunk, if one does. */
int st_region_erase(store_t *st, uint64_t addr, uint64_t region_end);

typedef struct log_scan {
    /* in: where to start */
    uint64_t pos, gen, cur_blk, seq;
    /* out: the last commit found (seq == in seq when none) */
    bool found;
    store_state_t state;
    uint64_t c_end, c_gen, c_blk;
    /* out: where the scan stopped, and the end of the last valid record */
    uint64_t stop, stop_gen, stop_blk;
    uint64_t v_end;
    uint64_t records, bad;  /* for store_check */
    uint64_t lim;           /* the ring's end as the scan knows it */
} log_scan_t;
int log_scan(store_t *st, log_scan_t *sc);

/* ---- B+tree (store_tree.c) ---------------------------------------------- */
int tree_get(store_t *st, const uint8_t *key, uint8_t *val, size_t *vlen);
int tree_put(store_t *st, const uint8_t *key, const void *val, size_t vlen);
int tree_del(store_t *st, const uint8_t *key);
/* Entries before key (order statistics). */
int tree_rank(store_t *st, const uint8_t *key, uint64_t *rank);
/* Entry number idx (0-based), STORE_ENOENT past the end. */
int tree_select(store_t *st, uint64_t idx, uint8_t *key, uint8_t *val,
                size_t *vlen);
/* First entry >= key. */
int tree_seek(store_t *st, const uint8_t *key, uint8_t *kout, uint8_t *val,
              size_t *vlen);
/* Writes every dirty node (commit); st->cur.root becomes a flash address. */
int tree_flush(store_t *st);
/* Forgets every dirty node (rollback). */
void tree_drop(store_t *st);
void tree_reset(store_t *st);
/* Copy-on-write of the path to key where a node lies below addr
 * (compaction); *leaf_last gets the last key of the leaf reached. */
int tree_touch(store_t *st, const uint8_t *key, uint64_t below);
/* Walks the whole tree, verifying nodes and counts; calls cb per problem. */
int tree_check(store_t *st, uint64_t *entries, uint32_t *problems,
               void (*cb)(void *, const char *, uint64_t), void *ctx);
/* Visits every leaf entry in order (for the data check). */
int tree_walk(store_t *st,
              int (*fn)(store_t *, const uint8_t *, const uint8_t *, size_t,
                        void *),
              void *ctx);

/* Rank of the first possible key of (owner, kind), cached until the
 * index changes. */
int st_kind_start(store_t *st, uint32_t owner, uint8_t kind, uint64_t *rank);
/* Seek limited to one (owner, kind): the first entry with id >= from. */
int st_seek_kind(store_t *st, uint32_t owner, uint8_t kind, uint64_t from,
                 uint64_t *id_out, uint8_t *val, size_t *vlen);

/* ---- Records of the index ----------------------------------------------- */
int st_mbox_load(store_t *st, uint32_t mbox_id, store_mbox_t *m);
/* Saves a mailbox's counters (they become the hot ones). */
int st_mbox_save(store_t *st, const store_mbox_t *m);
/* Saves the whole record (create, rename). */
int st_mbox_save_full(store_t *st, const store_mbox_t *m);
int st_msg_load(store_t *st, uint32_t mbox_id, uint32_t uid, store_msg_t *m);
/* A message record's value (as the index holds it) into *m. */
int st_msg_decode(uint32_t uid, const uint8_t *v, size_t vl, store_msg_t *m);
int st_msg_save(store_t *st, uint32_t mbox_id, const store_msg_t *m);
int st_mbox_delete_all(store_t *st, uint32_t mbox_id);
int st_writable(store_t *st);

/* A name of 1..max bytes (never reads past max + 1). */
static inline bool st_name_ok(const char *name, size_t max)
{
    size_t n = 0;
    if (!name)
        return false;
    while (n <= max && name[n])
        n++;
    return n >= 1 && n <= max;
}

/* Entries indexed by a name hash (users, mailbox names, subscriptions):
 * finds the entry of (owner, kind) whose match() accepts name; *id_out gets
 * its id.  STORE_ENOENT when absent; *free_out then gets a free id for it
 * (STORE_ELIMIT when 256 names share the hash). */
typedef bool (*st_match_fn)(store_t *st, const uint8_t *val, size_t vlen,
                            const char *name);
int st_hashed_find(store_t *st, uint32_t owner, uint8_t kind, const char *name,
                   st_match_fn match, uint64_t *id_out, uint64_t *free_out,
                   uint8_t *val, size_t *vlen);
/* Deletes every entry of (owner, kind). */
int st_delete_kind(store_t *st, uint32_t owner, uint8_t kind);
/* A tree change failed half-way: drop the whole pending group. */
int st_fail(store_t *st, int rc);

/* ---- Compaction (store_gc.c) --------------------------------------------- */
/* Bytes kept free for compaction and for EXPUNGE/DELETE/STORE. */
uint64_t st_reserve(const store_t *st);
/* Room for a user write of n bytes (APPEND, COPY), keeping the reserve
 * that lets compaction finish and EXPUNGE/DELETE/STORE go on. */
int st_admit(store_t *st, uint64_t n);
/* A bounded compaction step after a commit, when space runs short. */
int st_gc_after_commit(store_t *st, uint64_t wrote);
/* Moves a message's data above the compaction mark (COPY of data a pass
 * has not reached yet): *addr is updated. */
int st_gc_relocate(store_t *st, uint64_t *addr, uint32_t size, bool shared);
/* Moves an APPEND's data written before the pass began above its mark
 * (store_append_finish): STORE_EAGAIN while chunks remain (non-blocking
 * store), then STORE_OK with a->data_addr updated. */
int st_gc_move_append(store_t *st, store_append_t *a);
/* STORE_EAGAIN (nothing changed) when a COPY meets a big message the pass
 * has not reached: the chunk cursor moves it first, in bounded steps;
 * STORE_OK when the copy may go on. */
int st_gc_hold_copy(store_t *st, uint32_t mbox_id, uint32_t uid);
/* What a power cut during a pass may waste above its mark: kept free
 * beside the reserve, so the pass can always end. */
uint64_t st_cut_waste(const store_t *st);
/* A message's data (APPEND, or met by the walk): big follows its chunks. */
void st_big_note(store_t *st, uint64_t data, uint32_t size);
/* A chunk count in 12 bits (the commit state): exact below 2048, above in
 * steps of 32 chunks, at most 67,552; st_big_chunks(st_big_code(c)) is
 * the representable count >= c (so RAM and flash agree). */
unsigned st_big_code(uint32_t chunks);
uint32_t st_big_chunks(unsigned code);
/* Counts n more live bytes (an APPEND, a COPY). */
void st_live_add(store_t *st, uint64_t n);
/* n live bytes fewer: a purged message's own data (key: its record). */
void st_live_sub(store_t *st, const uint8_t *key, uint64_t n);
/* Bytes a message's data takes on flash. */
uint64_t st_data_bytes(const store_t *st, uint64_t data_addr, uint32_t size);
/* Sets MSGF_SHARED in a stored message record. */
int st_msg_mark_shared(store_t *st, uint32_t mbox_id, uint32_t uid);
/* Raw stored flags word of a message (MSGF_SHARED included). */
int st_msg_raw_flags(store_t *st, uint32_t mbox_id, uint32_t uid,
                     uint32_t *flags);
/* Chunks of a message of size bytes. */
static inline uint64_t st_chunks(const store_t *st, uint32_t size)
{
    return (size + (uint64_t)st->chunk_payload - 1) / st->chunk_payload;
}
/* Copies message data to the head (compaction); DATA_LOST when the old
 * data fails its CRC. */
int st_data_copy(store_t *st, uint64_t old, uint32_t size, uint64_t *out);
/* A chunk region of size bytes at old lies inside the log (copyable). */
bool st_chunks_src_ok(const store_t *st, uint64_t old, uint32_t size);
/* One call's share of the chunked move m of the message at src (size
 * bytes): a fresh move (m->mark not the pass's, another src or size)
 * reserves its region like an APPEND's; then up to *n chunks (*n: how many
 * it copied), each CRC checked.  ST_MOVE_MORE while chunks remain;
 * STORE_OK when the copy is whole at m->dst; 1 when the data is damaged
 * or not in the log (never laundered); or an error.  Anything but
 * ST_MOVE_MORE ends the move (m->mark 0; a partial region is dead). */
#define ST_MOVE_MORE 2
int st_chunks_move(store_t *st, store_chunk_move_t *m, uint64_t src,
                   uint32_t size, uint64_t *n);

#endif
