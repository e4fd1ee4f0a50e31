/*
 * test_store_tree.c - the copy-on-write B+tree against a simple model:
 * random inserts, replacements (values of every length), deletes, rank and
 * select, commits, rollbacks and remounts.
 */
#include "store_testlib.h"
#include "store/store_priv.h"

#define NKEYS 3000

typedef struct model {
    int16_t vlen[NKEYS];   /* -1: absent */
    uint8_t seed[NKEYS];
} model_t;

static void mkval(uint8_t *v, int len, uint8_t seed)
{
    for (int i = 0; i < len; i++)
        v[i] = (uint8_t)(seed + i * 7);
}

static void mkkey(uint8_t *k, unsigned id)
{
    key_make(k, 7, K_MSG, (uint64_t)id * 3 + 1);
}

static void verify(store_t *st, const model_t *m)
{
    uint8_t k[KEY_SIZE], ko[KEY_SIZE], v[VAL_MAX], want[VAL_MAX];
    size_t vl;
    uint64_t rank = 0;
    for (unsigned id = 0; id < NKEYS; id++) {
        mkkey(k, id);
        uint64_t r;
        assert_int_equal(tree_rank(st, k, &r), STORE_OK);
        assert_int_equal(r, rank);
        int rc = tree_get(st, k, v, &vl);
        if (m->vlen[id] < 0) {
            assert_int_equal(rc, STORE_ENOENT);
            continue;
        }
        assert_int_equal(rc, STORE_OK);
        assert_int_equal(vl, m->vlen[id]);
        mkval(want, m->vlen[id], m->seed[id]);
        assert_memory_equal(v, want, vl);
        assert_int_equal(tree_select(st, rank, ko, NULL, NULL), STORE_OK);
        assert_memory_equal(ko, k, KEY_SIZE);
        rank++;
    }
    assert_int_equal(tree_select(st, rank, ko, NULL, NULL), STORE_ENOENT);
    assert_int_equal(tree_walk(st, NULL, NULL), 0);
}

static void run(flash_geometry_t g, unsigned ops, unsigned seed)
{
    tdev_t d;
    store_t *st = tstore_new();
    model_t *m = malloc(sizeof *m), *com = malloc(sizeof *com);
    tdev_init(&d, g);
    tformat_mount(&d, st);
    memset(m->vlen, 0xFF, sizeof m->vlen);
    memset(m->seed, 0, sizeof m->seed);
    *com = *m;
    srand(seed);
    uint8_t k[KEY_SIZE], v[VAL_MAX];
    for (unsigned i = 1; i <= ops; i++) {
        unsigned id = (unsigned)rand() % NKEYS;
        mkkey(k, id);
        int r = rand() % 10;
        if (r < 6) {
            int len = rand() % 4 ? rand() % 60 : rand() % (VAL_MAX + 1);
            uint8_t s = (uint8_t)rand();
            mkval(v, len, s);
            assert_int_equal(tree_put(st, k, v, (size_t)len), STORE_OK);
            m->vlen[id] = (int16_t)len;
            m->seed[id] = s;
        } else {
            int rc = tree_del(st, k);
            assert_int_equal(rc, m->vlen[id] < 0 ? STORE_ENOENT : STORE_OK);
            m->vlen[id] = -1;
        }
        if (i % 997 == 0) {
            store_rollback(st);
            *m = *com;
            verify(st, m);
        } else if (i % 331 == 0) {
            st->pending = true;
            assert_int_equal(store_commit(st), STORE_OK);
            *com = *m;
        }
        if (i % 2500 == 0) {
            st->pending = true;
            assert_int_equal(store_commit(st), STORE_OK);
            *com = *m;
            tremount(&d, st);
            verify(st, m);
        }
    }
    verify(st, m);
    /* delete everything: the tree shrinks back to an empty root */
    for (unsigned id = 0; id < NKEYS; id++) {
        if (m->vlen[id] < 0)
            continue;
        mkkey(k, id);
        assert_int_equal(tree_del(st, k), STORE_OK);
        m->vlen[id] = -1;
    }
    verify(st, m);
    st->pending = true;
    assert_int_equal(store_commit(st), STORE_OK);
    tremount(&d, st);
    verify(st, m);
    assert_int_equal(store_unmount(st), STORE_OK);
    tdev_free(&d);
    free(st);
    free(m);
    free(com);
}

static void test_tree_nor(void **state)
{
    run(geo_nor(48u << 20), 12000, 1);
}

static void test_tree_nand(void **state)
{
    run(geo_nand(16u << 20), 6000, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_nor),
        cmocka_unit_test(test_tree_nand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
