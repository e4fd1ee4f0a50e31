/*
 * test_flash_sim.c - the flash simulator enforces the rules of flash.h and
 * tears operations the way a power cut does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "flash/flash_ram.h"

#define DEV_SIZE (8u * 4096u)

static uint8_t mem[DEV_SIZE];
static const flash_geometry_t nor = { DEV_SIZE, 4096, 256, 0 };
static const flash_geometry_t nand = { DEV_SIZE, 4096, 512, FLASH_F_PROG_ONCE };

static void test_program_only_erased_bytes(void **state)
{
    flash_ram_t r;
    uint8_t page[256], back[256];
    flash_ram_init(&r, mem, &nor, true);
    memset(page, 0x5A, sizeof(page));
    assert_int_equal(flash_prog(&r.dev, 256, page, 256), FLASH_OK);
    assert_int_equal(flash_read(&r.dev, 256, back, 256), FLASH_OK);
    assert_memory_equal(page, back, 256);
    /* again over programmed bytes: a rule violation, bytes unchanged */
    memset(page, 0x00, sizeof(page));
    assert_int_equal(flash_prog(&r.dev, 256, page, 256), FLASH_ERULE);
    assert_int_equal(flash_read(&r.dev, 256, back, 1), FLASH_OK);
    assert_int_equal(back[0], 0x5A);
    /* after an erase the block reads 0xFF and takes a program again */
    assert_int_equal(flash_erase(&r.dev, 0), FLASH_OK);
    assert_int_equal(flash_read(&r.dev, 256, back, 256), FLASH_OK);
    for (int i = 0; i < 256; i++)
        assert_int_equal(back[i], 0xFF);
    assert_int_equal(flash_prog(&r.dev, 256, page, 256), FLASH_OK);
    assert_int_equal(r.sim.stats.erases, 1);
    assert_int_equal(r.sim.stats.progs, 2);
}

static void test_alignment_and_range(void **state)
{
    flash_ram_t r;
    uint8_t page[512] = { 0 };
    flash_ram_init(&r, mem, &nor, true);
    assert_int_equal(flash_prog(&r.dev, 1, page, 256), FLASH_EINVAL);
    assert_int_equal(flash_prog(&r.dev, 0, page, 100), FLASH_EINVAL);
    assert_int_equal(flash_prog(&r.dev, DEV_SIZE - 256, page, 512), FLASH_EINVAL);
    assert_int_equal(flash_erase(&r.dev, 100), FLASH_EINVAL);
    assert_int_equal(flash_erase(&r.dev, DEV_SIZE), FLASH_EINVAL);
    assert_int_equal(flash_read(&r.dev, DEV_SIZE - 1, page, 2), FLASH_EINVAL);
}

static void test_nand_programs_a_unit_once(void **state)
{
    flash_ram_t r;
    uint8_t map[DEV_SIZE / 512 / 8] = { 0 };
    uint32_t counts[DEV_SIZE / 4096] = { 0 };
    uint8_t page[512];
    flash_ram_init(&r, mem, &nand, true);
    r.sim.prog_map = map;
    r.sim.erase_counts = counts;
    memset(page, 0xFF, sizeof(page));   /* all-0xFF data still counts */
    assert_int_equal(flash_prog(&r.dev, 4096, page, 512), FLASH_OK);
    assert_int_equal(flash_prog(&r.dev, 4096, page, 512), FLASH_ERULE);
    assert_int_equal(flash_erase(&r.dev, 4096), FLASH_OK);
    assert_int_equal(flash_prog(&r.dev, 4096, page, 512), FLASH_OK);
    assert_int_equal(counts[1], 1);
    assert_int_equal(counts[0], 0);
}

static void test_power_cut_tears_a_program(void **state)
{
    flash_ram_t r;
    uint8_t page[1024], back[1024];
    int torn_somewhere = 0;
    for (uint32_t seed = 1; seed <= 20; seed++) {
        flash_ram_init(&r, mem, &nor, true);
        memset(page, 0x00, sizeof(page));
        flash_sim_cut_at(&r.sim, 2, seed);
        assert_int_equal(flash_prog(&r.dev, 0, page, 256), FLASH_OK);
        assert_int_equal(flash_prog(&r.dev, 1024, page, 1024), FLASH_EPOWER);
        /* dead until powered up again */
        assert_int_equal(flash_read(&r.dev, 0, back, 1), FLASH_EPOWER);
        assert_int_equal(flash_sync(&r.dev), FLASH_EPOWER);
        flash_ram_power_up(&r);
        assert_int_equal(flash_read(&r.dev, 0, back, 256), FLASH_OK);
        assert_memory_equal(back, page, 256);   /* the op before is whole */
        assert_int_equal(flash_read(&r.dev, 1024, back, 1024), FLASH_OK);
        /* a prefix of zeros, then bytes that are not all programmed */
        size_t i = 0;
        while (i < 1024 && back[i] == 0x00)
            i++;
        assert_true(i < 1024);
        for (size_t j = i + 1; j < 1024; j++)
            assert_int_equal(back[j], 0xFF);
        torn_somewhere += i > 0;
    }
    assert_true(torn_somewhere > 10);   /* the prefix length varies */
}

static void test_power_cut_tears_an_erase(void **state)
{
    flash_ram_t r;
    uint8_t back[4096];
    flash_ram_init(&r, mem, &nor, false);
    memset(mem, 0x00, DEV_SIZE);
    flash_sim_cut_at(&r.sim, 1, 7);
    assert_int_equal(flash_erase(&r.dev, 8192), FLASH_EPOWER);
    flash_ram_power_up(&r);
    assert_int_equal(flash_read(&r.dev, 8192, back, 4096), FLASH_OK);
    size_t i = 0;
    while (i < 4096 && back[i] == 0xFF)
        i++;
    assert_true(i < 4096);                 /* not fully erased */
    for (size_t j = i; j < 4096; j++)
        assert_int_equal(back[j], 0x00);   /* the rest left as it was */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_program_only_erased_bytes),
        cmocka_unit_test(test_alignment_and_range),
        cmocka_unit_test(test_nand_programs_a_unit_once),
        cmocka_unit_test(test_power_cut_tears_a_program),
        cmocka_unit_test(test_power_cut_tears_an_erase),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
