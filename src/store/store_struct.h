/*
 * store_struct.h - the store's private state, declared so that a port can
 * place a store_t in static memory.  Only src/store/ looks inside.
 */
#ifndef STORE_STRUCT_H
#define STORE_STRUCT_H

struct store {
    const flash_dev_t *dev;   /* NULL when not mounted */
};

#endif
