// SPDX-License-Identifier: GPL-2.0
/*
 * The memory of a context's rings: order-0 pages charged to the memory cgroup of the
 * task that sets the context up (__GFP_ACCOUNT), seen by the kernel through one vmap()
 * and by user space through vm_insert_pages().
 *
 * vmalloc_user() is not accounted: a process could pin about 24 MiB per open descriptor
 * outside its cgroup's limit. Allocation failures are the caller's business, not the
 * kernel log's: __GFP_NOWARN everywhere, and __GFP_RETRY_MAYFAIL so that a cgroup at
 * its limit makes SETUP fail with -ENOMEM instead of invoking the OOM killer on it.
 */

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/version.h>

#include "saio_internal.h"

#define SAIO_GFP (GFP_KERNEL_ACCOUNT | __GFP_NOWARN | __GFP_RETRY_MAYFAIL)

int saio_mem_alloc(struct saio_mem *m, size_t bytes)
{
	unsigned long i, n = bytes >> PAGE_SHIFT;

	m->nr_pages = 0;
	m->pages = kvcalloc(n, sizeof(*m->pages), SAIO_GFP);
	if (!m->pages)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		m->pages[i] = alloc_page(SAIO_GFP | __GFP_ZERO);
		if (!m->pages[i])
			goto fail;
		m->nr_pages++;
	}
	m->vaddr = vmap(m->pages, n, VM_MAP, PAGE_KERNEL);
	if (!m->vaddr)
		goto fail;
	return 0;
fail:
	saio_mem_free(m);
	return -ENOMEM;
}

void saio_mem_free(struct saio_mem *m)
{
	unsigned long i;

	if (m->vaddr)
		vunmap(m->vaddr);
	m->vaddr = NULL;
	for (i = 0; i < m->nr_pages; i++)
		__free_page(m->pages[i]);
	m->nr_pages = 0;
	kvfree(m->pages);
	m->pages = NULL;
}

/*
 * Map pages [vm_pgoff, vm_pgoff + length) of the rings. VM_DONTEXPAND: mremap() cannot
 * grow the mapping past what was inserted. VM_DONTCOPY: a fork child does not inherit
 * it (the owner's workers would run what the child writes into the rings; the owner
 * can still undo it with madvise(MADV_DOFORK), its own choice).
 */
int saio_mem_mmap(struct saio_mem *m, struct vm_area_struct *vma)
{
	unsigned long n = vma_pages(vma);
	int ret;

	if (vma->vm_pgoff >= m->nr_pages || n > m->nr_pages - vma->vm_pgoff)
		return -EINVAL;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTCOPY);
#else
	vma->vm_flags |= VM_DONTEXPAND | VM_DONTCOPY;
#endif
	ret = vm_insert_pages(vma, vma->vm_start, m->pages + vma->vm_pgoff, &n);
	/*
	 * The range is inside the vma (checked above), so -EFAULT can only be a page
	 * table that could not be allocated (walk_to_pmd): that is mmap(2)'s -ENOMEM.
	 */
	return ret == -EFAULT ? -ENOMEM : ret;
}
