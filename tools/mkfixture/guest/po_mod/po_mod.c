// SPDX-License-Identifier: GPL-2.0
/*
 * po_mod: a fixture module that allocates pages on each online node with
 * several orders and gfp masks and keeps them until the guest is dumped, so
 * that page_owner stacks contain "[po_mod]" frames.
 */
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/slab.h>

#define PO_MAX 64

static struct page *po_pages[PO_MAX];
static unsigned int po_orders[PO_MAX];
static int po_count;
static void *po_objs[32];

/* Out of line and in .text, so the frame stays symbolised after init text is freed. */
static noinline void po_mod_alloc_on(int nid, unsigned int order, gfp_t gfp)
{
	struct page *page;

	if (po_count >= PO_MAX)
		return;
	page = alloc_pages_node(nid, gfp | __GFP_THISNODE, order);
	if (!page)
		return;
	po_pages[po_count] = page;
	po_orders[po_count] = order;
	po_count++;
}

static noinline void po_mod_alloc_all(void)
{
	int nid, i;

	for_each_node_state(nid, N_MEMORY) {
		po_mod_alloc_on(nid, 0, GFP_KERNEL);
		po_mod_alloc_on(nid, 1, GFP_KERNEL | __GFP_ZERO);
		po_mod_alloc_on(nid, 2, GFP_KERNEL | __GFP_COMP);
		po_mod_alloc_on(nid, 3, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		po_mod_alloc_on(nid, 0, GFP_NOWAIT);
		po_mod_alloc_on(nid, 0, GFP_ATOMIC);
		po_mod_alloc_on(nid, 0, GFP_HIGHUSER_MOVABLE);
	}
	/* a few large kmallocs: slab or large-kmalloc pages owned through this module */
	for (i = 0; i < ARRAY_SIZE(po_objs); i++)
		po_objs[i] = kmalloc(i % 2 ? 12000 : 3000, GFP_KERNEL);
}

static int __init po_mod_init(void)
{
	po_mod_alloc_all();
	pr_info("po_mod: holding %d page allocations\n", po_count);
	return 0;
}

static void __exit po_mod_exit(void)
{
	int i;

	for (i = 0; i < po_count; i++)
		__free_pages(po_pages[i], po_orders[i]);
	for (i = 0; i < ARRAY_SIZE(po_objs); i++)
		kfree(po_objs[i]);
}

module_init(po_mod_init);
module_exit(po_mod_exit);
MODULE_DESCRIPTION("powner fixture: page allocations from a module");
MODULE_LICENSE("GPL");
