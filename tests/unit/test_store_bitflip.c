/*
 * test_store_bitflip.c - a flipped bit in a stored message or an index
 * record is caught by its CRC on read: store_msg_read answers
 * STORE_ECORRUPT for that message only, store_check reports it, every
 * other message still reads back whole.  NOR and NAND geometries; small
 * (DATA record) and multi-chunk messages; the bit lands in the middle of
 * the data and in the chunk CRC itself.
 */
#include "store_testlib.h"

static unsigned g_reports;

static void report(void *ctx, const char *what, uint64_t where)
{
    (void)ctx;
    (void)what;
    (void)where;
    g_reports++;
}

static uint64_t phys(const store_t *st, flash_geometry_t g, uint64_t a)
{
    uint64_t base = 2ull * g.erase_size;
    return base + (a - base) % st->ring;
}

static void flip(flash_geometry_t g, uint32_t victim_size, uint32_t where)
{
    tdev_t d;
    store_t *st = tstore_new();
    tdev_init(&d, g);
    tformat_mount(&d, st);
    store_user_t u;
    memset(&u, 0, sizeof u);
    strcpy(u.name, "u");
    assert_int_equal(store_user_add(st, &u, &u.id), STORE_OK);
    store_mbox_t mb;
    assert_int_equal(store_mbox_create(st, u.id, "INBOX", &mb), STORE_OK);
    static uint8_t body[20000];
    static const uint32_t sizes[] = { 500, 7000, 0, 1200, 4000 };
    uint32_t uids[5];
    for (int i = 0; i < 5; i++) {
        uint32_t size = i == 2 ? victim_size : sizes[i];
        tbody(body, size, (uint32_t)i);
        uids[i] = tappend(st, mb.id, body, size, 0, 4096);
    }
    assert_int_equal(store_commit(st), STORE_OK);
    store_msg_t m;
    assert_int_equal(store_msg_get(st, mb.id, uids[2], &m), STORE_OK);
    uint64_t a = m.data_addr & ~(1ull << 63);
    if (m.data_addr >> 63)
        a += 12;  /* past the DATA record header */
    uint64_t off = where == UINT32_MAX ? st->chunk_stride - 1 : where;
    assert_int_equal(store_unmount(st), STORE_OK);
    /* the file device keeps bits inverted; this RAM device keeps them as
     * they are: flip one */
    d.mem[phys(st, g, a + off)] ^= 0x10;
    assert_int_equal(store_mount(st, &d.ram.dev), STORE_OK);
    uint8_t buf[512];
    long r = 0;
    for (uint32_t o = 0; o < m.size && r >= 0; o += (uint32_t)r) {
        r = store_msg_read(st, &m, o, buf, sizeof buf);
        if (r == 0)
            break;
    }
    assert_int_equal(r, STORE_ECORRUPT);
    for (int i = 0; i < 5; i++) {
        if (i == 2)
            continue;
        tbody(body, sizes[i], (uint32_t)i);
        tcheck_body(st, mb.id, uids[i], body, sizes[i]);
    }
    g_reports = 0;
    assert_true(store_check(st, report, NULL) >= 1);
    assert_true(g_reports >= 1);
    /* compaction moves the damage along as damage, never as good data */
    for (int i = 0; i < 2000 && store_maintain(st, 0) == 1; i++)
        ;
    assert_int_equal(store_msg_get(st, mb.id, uids[2], &m), STORE_OK);
    assert_true(store_msg_read(st, &m, 0, buf, sizeof buf) == STORE_ECORRUPT ||
                m.size > sizeof buf);
    assert_int_equal(store_unmount(st), STORE_OK);
    tdev_free(&d);
    free(st);
}

static void test_flip_small_nor(void **s) { (void)s; flip(geo_nor(512 * 1024), 900, 100); }
static void test_flip_big_nor(void **s) { (void)s; flip(geo_nor(512 * 1024), 9000, 3000); }
static void test_flip_crc_nor(void **s) { (void)s; flip(geo_nor(512 * 1024), 9000, UINT32_MAX); }
static void test_flip_small_nand(void **s) { (void)s; flip(geo_nand(2u << 20), 900, 5); }
static void test_flip_big_nand(void **s) { (void)s; flip(geo_nand(2u << 20), 15000, 6000); }

/* A flipped bit in an index node: the store notices (check, reads), never
 * crashes, and mounts. */
static void test_flip_index(void **s)
{
    (void)s;
    flash_geometry_t g = geo_nor(512 * 1024);
    tdev_t d;
    store_t *st = tstore_new();
    tdev_init(&d, g);
    tformat_mount(&d, st);
    store_user_t u;
    memset(&u, 0, sizeof u);
    strcpy(u.name, "u");
    assert_int_equal(store_user_add(st, &u, &u.id), STORE_OK);
    store_mbox_t mb;
    assert_int_equal(store_mbox_create(st, u.id, "INBOX", &mb), STORE_OK);
    static uint8_t body[2000];
    for (int i = 0; i < 60; i++) {
        tbody(body, 300, (uint32_t)i);
        tappend(st, mb.id, body, 300, 0, 4096);
    }
    assert_int_equal(store_commit(st), STORE_OK);
    uint64_t root = st->com.root;
    assert_int_equal(store_unmount(st), STORE_OK);
    d.mem[phys(st, g, root + 12 + 20)] ^= 0x01;   /* inside the root node */
    int rc = store_mount(st, &d.ram.dev);
    if (rc == STORE_OK) {
        g_reports = 0;
        assert_true(store_check(st, report, NULL) != 0);
        store_unmount(st);
    } else {
        assert_int_equal(rc, STORE_ECORRUPT);
    }
    tdev_free(&d);
    free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flip_small_nor),
        cmocka_unit_test(test_flip_big_nor),
        cmocka_unit_test(test_flip_crc_nor),
        cmocka_unit_test(test_flip_small_nand),
        cmocka_unit_test(test_flip_big_nand),
        cmocka_unit_test(test_flip_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
