/*
 * store_struct.h - the store's private state, declared so that a port can
 * place a store_t in static memory.  Only src/store/ looks inside.
 *
 * RAM: one log write buffer, one scratch buffer and STORE_NODE_CACHE index
 * nodes.  Nothing here depends on the number of messages.
 */
#ifndef STORE_STRUCT_H
#define STORE_STRUCT_H

/* Log write buffer: a multiple of the device's program unit (a device whose
 * program unit is larger is refused with STORE_EINVAL). */
#ifndef STORE_WBUF_SIZE
#define STORE_WBUF_SIZE 2048
#endif

#if STORE_NODE_CACHE < 6
#define STORE_CACHE_SLOTS 6
#else
#define STORE_CACHE_SLOTS STORE_NODE_CACHE
#endif

/* A modification pins its root-to-leaf path plus two nodes while it splits;
 * one more slot must stay free for flushing, so the cache bounds the tree
 * height (and every descent is a loop bounded by it). */
#define STORE_TREE_DEPTH_MAX (STORE_CACHE_SLOTS - 3)

/* Node cache lookup hint: a direct-mapped table from a hash of a clean
 * node's flash address to the slot that last held it, about two entries
 * per slot.  A hint is only ever checked, never trusted, so it needs no
 * upkeep when slots change (store_tree.c). */
#if STORE_CACHE_SLOTS <= 8
#define STORE_HINT_BITS 4
#elif STORE_CACHE_SLOTS <= 32
#define STORE_HINT_BITS 6
#else
#define STORE_HINT_BITS 8
#endif

#if STORE_NODE_SIZE < 1024
#error "STORE_NODE_SIZE must be at least 1024 (two largest entries per leaf)"
#endif

#define STORE_SCRATCH_SIZE \
    ((STORE_NODE_SIZE + 512) > STORE_WBUF_SIZE ? (STORE_NODE_SIZE + 512) \
                                               : STORE_WBUF_SIZE)

/* The counters of the mailbox changed last ("hot"): they travel in the
 * commit record instead of the index, so a stream of appends to one
 * mailbox rewrites one index path per commit, not two.  The mailbox's
 * index record is brought up to date when another mailbox gets hot. */
typedef struct store_hot {
    uint32_t id;                 /* 0: none */
    uint32_t uidnext, messages, unseen, recent, first_recent_uid, nkeywords;
    uint64_t highestmodseq;
} store_hot_t;

/* What a commit record (and a checkpoint) carries. */
typedef struct store_state {
    uint64_t root;               /* flash address of the index root, 0 = empty */
    uint32_t next_user_id;
    uint32_t next_mbox_id;
    uint32_t next_uidvalidity;
    uint32_t users, mailboxes;
    uint64_t messages;
    store_hot_t hot;
    /* the ring (store_gc.c): the log lives in [tail, head) of a logical
     * address space that only grows; tail_gen/tail_seq: the generation
     * and commit sequence before the tail block (where fsck starts) */
    uint64_t tail, tail_gen, tail_seq;
    /* a compaction pass: everything below mark (0: none) is rewritten
     * above it; cursor: the next index key to visit, phase 1 the
     * mailboxes, phase 2 the owner-0 entries, phase 3 the walk done but
     * the tail not moved yet (waiting for APPENDs that write below the
     * mark; committed like the others), copied: bytes it wrote */
    uint64_t mark, mark_gen, mark_seq, copied;
    uint8_t cursor[16];
    uint8_t phase;
    /* chunks of the largest multi-chunk message a pass may have to copy
     * (an upper bound: each pass recounts it, walk_big, and it becomes big
     * when the pass ends): what a power cut during a pass may waste, kept
     * free (st_cut_waste) */
    uint32_t big, walk_big;
    /* live bytes (data and index), as the last pass counted them plus
     * what was added since (an upper bound: deletions count at the next
     * pass); walk: the count of the pass under way */
    uint64_t live, walk;
} store_state_t;

typedef struct store_slot {
    uint64_t addr;               /* flash address of a clean node */
    uint32_t stamp;              /* last use, for eviction */
    int8_t parent;               /* dirty node: slot of its parent, -1 root */
    uint8_t used;                /* slot holds a node */
    uint8_t dirty;               /* modified in this commit, not on flash */
    uint8_t pin;                 /* held by the running tree operation */
    uint8_t buf[STORE_NODE_SIZE];
} store_slot_t;

struct store {
    const flash_dev_t *dev;      /* NULL when not mounted */
    uint64_t size;
    uint32_t erase_size, prog_size;
    uint32_t fmt_id;             /* seeds every record CRC of this format */
    uint32_t chunk_stride;       /* data chunk on flash (prog aligned) */
    uint32_t chunk_payload;      /* message bytes per chunk */
    bool broken;                 /* a flash error: refuse further writes */
    bool pending;                /* changes since the last commit */

    store_state_t cur;           /* working state (root: may be a slot ref) */
    store_state_t com;           /* last committed state */
    uint64_t commit_seq;
    uint64_t ckpt_seq;
    uint32_t since_ckpt;

    /* log head and write buffer: bytes [wb_base, head) are in wbuf */
    uint64_t head, wb_base;
    uint64_t gen;                /* erase blocks entered so far */
    uint64_t cur_blk;            /* block the head has entered, or ~0 */

    uint64_t ok_chunk;           /* data chunk whose CRC was last verified */
    uint64_t ring;               /* bytes of the log ring (blocks 2..) */
    uint64_t ckpt_bytes;         /* log bytes between checkpoints */
    uint64_t ckpt_head;          /* head at the last checkpoint */
    uint32_t ckpt_slots;         /* checkpoint slots per anchor block */
    uint32_t appends;            /* APPENDs begun, not finished */
    bool in_gc;                  /* a compaction step is writing */
    bool recovered;              /* mount: unclean, a torn tail dropped */
    bool nonblock;               /* st_admit answers EAGAIN, never blocks */
    bool gc_want;                /* a writer waits: start a pass */
    bool gc_stuck;               /* the last step found no room to go on */
    bool gc_region_done;         /* this step finished a chunked copy */
    bool gc_freed;               /* a mailbox deleted since the pass began */
    uint32_t passes;             /* passes ended since mount */
    uint64_t pass_end_seq;       /* commit that ended the last pass */
    uint64_t gc_ovh;             /* last pass: bytes written beyond live */
    uint64_t gc_step_max;        /* most flash bytes one step wrote */
    uint32_t gc_owner;           /* the mailbox the walk is in */
    uint64_t gc_hms;             /* its highestmodseq */
    /* the walk's copy of a multi-chunk message, a few chunks per step
     * (store_gc.c); RAM only: after a power cut the partial region is
     * dead space and the pass redoes the message from its start */
    store_chunk_move_t gc_cp;
    uint8_t gc_cp_key[16];       /* the message record's key */
    /* a held COPY's message, moved by the chunk cursor out of key order
     * (st_gc_hold_copy): the key of its record */
    bool gc_early_on;
    uint8_t gc_early[16];
    uint64_t gc_step_res;        /* this step: region bytes reserved ... */
    uint64_t gc_step_late;       /* ... and chunk bytes programmed */
    uint32_t stamp;

    /* ranks of a few (owner, kind) starts, valid while tree_ver holds:
     * a FETCH over a view asks for the same ones for every message */
    uint32_t tree_ver;           /* bumped by every index change */
    struct {
        uint32_t ver, owner;
        uint8_t kind;
        uint64_t rank;
    } rank_cache[4];
    uint8_t rank_next;

    /* the leaf tree_get ended in last (valid while tree_ver holds and the
     * slot still holds it clean) and its key range: a key inside the
     * range can only be in that leaf, so the next summary chunk or the
     * next message's summary is found without a descent */
    struct {
        uint32_t ver;
        int16_t slot;            /* -1: none */
        uint64_t addr;
        uint8_t lo[16], hi[16];
    } leaf;
    /* the same for tree_select: the last leaf and the rank of its first
     * entry (a FETCH 1:* selects message after message from one leaf) */
    struct {
        uint32_t ver;
        int16_t slot;            /* -1: none */
        uint64_t addr, base;
    } sel;

    uint8_t wbuf[STORE_WBUF_SIZE];
    uint8_t scratch[STORE_SCRATCH_SIZE];
    /* the cache, plus one transient slot for lookups that find every
     * cache slot dirty (a read never forces a dirty node out) */
    store_slot_t slot[STORE_CACHE_SLOTS + 1];
    uint8_t hint[1u << STORE_HINT_BITS];
};

#endif
