// SPDX-License-Identifier: GPL-2.0
/*
 * Who may open the device (allowed_group) and what one user may take: contexts per
 * user (max_user_contexts) and ring memory per context (max_context_kib). All are
 * module parameters an administrator may change at run time
 * (/sys/module/saio/parameters/); a change applies to later opens and SETUPs.
 *
 * The ring memory itself is charged to the memory cgroup of the task that sets the
 * context up (saio_mem.c); these caps bound what a user without a tight cgroup takes.
 * A context counts against the real uid of the task that set it up, from SETUP until
 * its last reference (descriptor or mapping) goes.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uidgid.h>

#include "saio_internal.h"

/* like io_uring's io_uring_group: a gid of the initial user namespace, or < 0 for none */
static int allowed_group = -1;
module_param(allowed_group, int, 0644);
MODULE_PARM_DESC(allowed_group,
		 "only members of this group (or CAP_SYS_ADMIN) may open /dev/saio; -1: anyone the node's mode lets in (default)");

static uint max_user_contexts = 128;
module_param(max_user_contexts, uint, 0644);
MODULE_PARM_DESC(max_user_contexts,
		 "contexts (set-up descriptors) one user may hold; more: SETUP fails with -EMFILE (default 128)");

/* every valid SETUP (64 rings of 4096 SQEs and 8192 CQEs: 24832 KiB) fits the default */
static uint max_context_kib = 32768;
module_param(max_context_kib, uint, 0644);
MODULE_PARM_DESC(max_context_kib,
		 "ring memory (KiB) one context may take; more: SETUP fails with -ENOMEM (default 32768)");

struct saio_user {
	struct hlist_node node;
	kuid_t uid;
	unsigned int contexts;
};

static DEFINE_HASHTABLE(saio_users, 6);
static DEFINE_SPINLOCK(saio_users_lock);

static struct saio_user *saio_user_find(kuid_t uid)
{
	struct saio_user *u;

	hash_for_each_possible(saio_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			return u;
	return NULL;
}

/* open(): 0, or -EPERM for a caller outside allowed_group without CAP_SYS_ADMIN. */
int saio_may_open(void)
{
	int gid = READ_ONCE(allowed_group);
	kgid_t g;

	if (gid < 0)
		return 0;
	g = make_kgid(&init_user_ns, gid);
	if (gid_valid(g) && in_group_p(g))
		return 0;
	return capable(CAP_SYS_ADMIN) ? 0 : -EPERM;
}

int saio_limit_bytes(size_t bytes)
{
	return bytes > (size_t)READ_ONCE(max_context_kib) * 1024 ? -ENOMEM : 0;
}

/* Count a context against the caller's real uid: 0, -EMFILE over the cap, -ENOMEM. */
int saio_user_charge(struct saio_user **out)
{
	kuid_t uid = current_uid();
	struct saio_user *u, *fresh;
	int ret = 0;

	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL | __GFP_NOWARN);
	if (!fresh)
		return -ENOMEM;
	spin_lock(&saio_users_lock);
	u = saio_user_find(uid);
	if (!u) {
		u = fresh;
		fresh = NULL;
		u->uid = uid;
		hash_add(saio_users, &u->node, __kuid_val(uid));
	}
	if (u->contexts >= READ_ONCE(max_user_contexts)) {
		ret = -EMFILE;
		if (!u->contexts) {	/* a cap of 0: the entry we just added goes */
			hash_del(&u->node);
			fresh = u;
		}
	} else {
		u->contexts++;
		*out = u;
	}
	spin_unlock(&saio_users_lock);
	kfree(fresh);
	return ret;
}

void saio_user_uncharge(struct saio_user *u)
{
	bool last;

	if (!u)
		return;
	spin_lock(&saio_users_lock);
	last = !--u->contexts;
	if (last)
		hash_del(&u->node);
	spin_unlock(&saio_users_lock);
	if (last)
		kfree(u);
}
