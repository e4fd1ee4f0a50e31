/*
 * test_store_power_ckpt.c - the power-cut test again on a store built with
 * a checkpoint at every commit and the smallest node cache, so cuts land in
 * checkpoint writes (anchor erase and program) and in early node flushes.
 * The store is compiled into this test with these options.
 */
#define STORE_CHECKPOINT_INTERVAL 2
#define STORE_CHECKPOINT_DIV 1000000  /* a checkpoint at every commit */
#define STORE_NODE_CACHE 6
#include "../../src/store/store_log.c"
#include "../../src/store/store_tree.c"
#include "../../src/store/store_core.c"
#include "../../src/store/store_user.c"
#include "../../src/store/store_mbox.c"
#include "../../src/store/store_msg.c"
#include "../../src/store/store_view.c"
#include "../../src/store/store_check.c"
#include "../../src/store/store_gc.c"
#include "../../src/store/store_blob.c"
#include "../../src/store/store_summary.c"

#include "test_store_power.c"
