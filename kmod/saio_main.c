// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/saio: shared submission/completion rings whose entries
 * are executed by threads of the served process, either the submitting
 * thread itself (SAIO_IOC_ENTER) or threads that stay in the kernel to drain
 * them (SAIO_IOC_WORKER).
 *
 * Ring protocol (see include/uapi/linux/saio.h and README.md):
 *   SQ: user writes entries, then smp_store_release(sq_tail)   [U1]
 *       kernel smp_load_acquire(sq_tail), reads entries         [K1 pairs U1]
 *       kernel smp_store_release(sq_head) after copying entries [K2]
 *       user smp_load_acquire(sq_head) before reusing slots     [U2 pairs K2]
 *   CQ: kernel writes an entry, then smp_store_release(cq_tail) [K3]
 *       user smp_load_acquire(cq_tail), reads entries           [U3 pairs K3]
 *       user smp_store_release(cq_head) after reading them      [U4]
 *       kernel smp_load_acquire(cq_head) before reusing slots   [K4 pairs U4]
 *   Wake-up: worker sets NEED_WAKEUP, smp_mb(), rechecks sq_tail  [K5]
 *            user publishes sq_tail, full fence, reads flags     [U5 pairs K5]
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/uaccess.h>
#include <linux/version.h>

#include "saio_internal.h"

static uint default_idle_us = SAIO_DEFAULT_IDLE_US;
module_param(default_idle_us, uint, 0444);
MODULE_PARM_DESC(default_idle_us,
		 "worker spin time (us) before sleeping when SAIO_IOC_WORKER asks for 0 (1..1000000)");

static inline void saio_inc(u64 *p)
{
	WRITE_ONCE(*p, *p + 1);
}

static inline bool saio_is_ready(struct saio_ctx *ctx)
{
	/* pairs with smp_store_release(&ctx->ready) at the end of setup */
	return smp_load_acquire(&ctx->ready);
}

/*
 * The owner: the thread group that called SETUP, with the address space it had then
 * (an exec'd image has another; ctx->mm holds an mm_count, so its address is not
 * reused while we compare against it). Only the owner maps the rings, runs entries,
 * lends workers and wakes or stops them: whoever can write a ring runs entries with
 * the owner's files and memory.
 */
static inline bool saio_is_owner(struct saio_ctx *ctx)
{
	return task_tgid(current) == ctx->owner && current->mm == ctx->mm;
}

static bool saio_groups_same(const struct group_info *a,
			     const struct group_info *b)
{
	int i;

	if (a == b)
		return true;
	if (a->ngroups != b->ngroups)
		return false;
	for (i = 0; i < a->ngroups; i++)
		if (!gid_eq(a->gid[i], b->gid[i]))
			return false;
	return true;
}

/*
 * The calling thread still has the credentials the context was set up with: entries
 * run with the caller's credentials, and a thread that changed its own (setresuid(2)
 * on one thread, a dropped capability) must not run what was queued for the old ones.
 * Compared by content: a new but equal struct cred (a thread keyring, say) is fine.
 * An LSM label is not compared (no exported way to).
 */
static bool saio_creds_same(struct saio_ctx *ctx)
{
	const struct cred *a = current_cred(), *b = ctx->cred;

	if (a == b)
		return true;
	return uid_eq(a->uid, b->uid) && gid_eq(a->gid, b->gid) &&
	       uid_eq(a->euid, b->euid) && gid_eq(a->egid, b->egid) &&
	       uid_eq(a->suid, b->suid) && gid_eq(a->sgid, b->sgid) &&
	       uid_eq(a->fsuid, b->fsuid) && gid_eq(a->fsgid, b->fsgid) &&
	       a->securebits == b->securebits && a->user_ns == b->user_ns &&
	       !memcmp(&a->cap_inheritable, &b->cap_inheritable,
		       sizeof(kernel_cap_t)) &&
	       !memcmp(&a->cap_permitted, &b->cap_permitted,
		       sizeof(kernel_cap_t)) &&
	       !memcmp(&a->cap_effective, &b->cap_effective,
		       sizeof(kernel_cap_t)) &&
	       !memcmp(&a->cap_bset, &b->cap_bset, sizeof(kernel_cap_t)) &&
	       !memcmp(&a->cap_ambient, &b->cap_ambient, sizeof(kernel_cap_t)) &&
	       saio_groups_same(a->group_info, b->group_info);
}

/* May this thread run entries (ENTER, WORKER)? 0 or -EPERM. */
static int saio_may_run(struct saio_ctx *ctx)
{
	return saio_is_owner(ctx) && saio_creds_same(ctx) ? 0 : -EPERM;
}

/* ---- ring mechanics --------------------------------------------------------- */

/* Free completion slots; a head user space moved beyond the tail counts as full. */
static u32 saio_cq_space(struct saio_ctx *ctx, struct saio_ring *r)
{
	/* K4: pairs with the user's store-release of cq_head (U4) */
	u32 head = smp_load_acquire(&r->hdr->cq_head);
	u32 used = r->cq_tail - head;

	return used >= ctx->cq_entries ? 0 : ctx->cq_entries - used;
}

/* Published entries not yet consumed, or -EINVAL if sq_tail is not plausible. */
static int saio_sq_pending(struct saio_ctx *ctx, struct saio_ring *r, u32 *n)
{
	/* K1: pairs with the user's store-release of sq_tail (U1) */
	u32 tail = smp_load_acquire(&r->hdr->sq_tail);

	*n = tail - r->sq_head;
	return *n > ctx->sq_entries ? -EINVAL : 0;
}

static bool saio_ring_has_work(struct saio_ctx *ctx, struct saio_ring *r)
{
	u32 n;

	return !saio_sq_pending(ctx, r, &n) && n && saio_cq_space(ctx, r);
}

static void saio_set_flag(struct saio_ring *r, u32 flag, bool on)
{
	/* only the ring's consumer writes hdr->flags */
	u32 old = READ_ONCE(r->hdr->flags);

	WRITE_ONCE(r->hdr->flags, on ? old | flag : old & ~flag);
}

/* Copy an entry out of the shared ring, each field read once. */
static void saio_read_sqe(struct saio_sqe *dst, const struct saio_sqe *src)
{
	dst->opcode = READ_ONCE(src->opcode);
	dst->flags = READ_ONCE(src->flags);
	dst->__pad0 = READ_ONCE(src->__pad0);
	dst->fd = READ_ONCE(src->fd);
	dst->off = READ_ONCE(src->off);
	dst->addr = READ_ONCE(src->addr);
	dst->len = READ_ONCE(src->len);
	dst->op_flags = READ_ONCE(src->op_flags);
	dst->user_data = READ_ONCE(src->user_data);
	dst->fd_in = READ_ONCE(src->fd_in);
	dst->__pad1 = READ_ONCE(src->__pad1);
	dst->__resv[0] = READ_ONCE(src->__resv[0]);
	dst->__resv[1] = READ_ONCE(src->__resv[1]);
}

static void saio_post_cqe(struct saio_ctx *ctx, struct saio_ring *r,
			  u64 user_data, s32 res, u32 flags)
{
	struct saio_cqe *cqe = &r->cqes[r->cq_tail & ctx->cq_mask];

	WRITE_ONCE(cqe->user_data, user_data);
	WRITE_ONCE(cqe->res, res);
	WRITE_ONCE(cqe->flags, flags);
	WRITE_ONCE(r->cq_tail, r->cq_tail + 1);
	/* K3: the entry is written before the tail that publishes it; pairs with U3 */
	smp_store_release(&r->hdr->cq_tail, r->cq_tail);

	saio_inc(&r->cnt.completed);
	if (res < 0)
		saio_inc(&r->cnt.errors);
	/* wq_has_sleeper() has the barrier pairing with prepare_to_wait() in saio_wait() */
	if (wq_has_sleeper(&r->cq_wait))
		wake_up_interruptible(&r->cq_wait);
}

/* Tell a registered eventfd that completions were posted (once per batch). */
static void saio_signal_cq(struct saio_ring *r)
{
	/* pairs with the cmpxchg_release() in saio_eventfd() */
	struct eventfd_ctx *ev = smp_load_acquire(&r->evfd);

	if (!ev)
		return;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	eventfd_signal(ev);
#else
	eventfd_signal(ev, 1);
#endif
}

/*
 * Consume up to @limit entries of @r, in order, one completion each.
 * Stops early on a full completion queue (the entry stays queued) and when
 * a signal is pending. Returns the number consumed, -EBUSY if the CQ was
 * full before anything was consumed, -EINTR if a signal was pending before
 * anything was consumed, or -EINVAL if sq_tail is not plausible.
 * Called by the ring's single consumer.
 */
static int saio_ring_run(struct saio_ctx *ctx, struct saio_ring *r, u32 limit,
			 u64 *ops)
{
	u32 pending, done = 0;
	int stop = 0;

	if (saio_sq_pending(ctx, r, &pending)) {
		/* counted once per episode, not once per poll of a worker */
		if (!r->tail_bad) {
			WRITE_ONCE(r->hdr->sq_bad_tail,
				   READ_ONCE(r->hdr->sq_bad_tail) + 1);
			saio_inc(&r->cnt.bad_tail);
			r->tail_bad = true;
		}
		return -EINVAL;
	}
	r->tail_bad = false;
	pending = min(pending, limit);

	while (done < pending) {
		struct saio_sqe sqe;
		bool full;
		u32 cflags = 0;
		s32 res;

		if (!saio_cq_space(ctx, r)) {
			saio_set_flag(r, SAIO_RING_CQ_FULL, true);
			if (!r->cq_stalled) {
				WRITE_ONCE(r->hdr->cq_overflow,
					   READ_ONCE(r->hdr->cq_overflow) + 1);
				saio_inc(&r->cnt.cq_full);
				r->cq_stalled = true;
			}
			stop = -EBUSY;
			break;
		}
		if (signal_pending(current)) {
			stop = -EINTR;
			break;
		}

		saio_read_sqe(&sqe, &r->sqes[r->sq_head & ctx->sq_mask]);
		r->sq_head++;
		r->cq_stalled = false;
		/* K2: our reads of the slot are done before it is handed back; pairs with U2 */
		smp_store_release(&r->hdr->sq_head, r->sq_head);
		saio_inc(&r->cnt.submitted);

		if (r->link_cancel) {
			res = -ECANCELED;
			cflags = SAIO_CQE_CANCELED_LINK;
			full = false;
		} else {
			res = saio_exec_sqe(&sqe, ctx->op_mask, &full);
		}
		/* a chain ends at the first entry without LINK */
		r->link_cancel = (sqe.flags & SAIO_SQE_LINK) && !full;

		saio_post_cqe(ctx, r, sqe.user_data, res, cflags);
		done++;
		if (ops)
			saio_inc(ops);
		cond_resched();
	}
	if (!stop)
		saio_set_flag(r, SAIO_RING_CQ_FULL, false);
	if (done)
		saio_signal_cq(r);
	return done ? done : stop;
}

/* ---- setup and mapping --------------------------------------------------------- */

static long saio_setup(struct saio_ctx *ctx, void __user *argp)
{
	struct saio_setup p;
	size_t cq_off, ring_bytes, total;
	u32 i;
	long ret;

	if (copy_from_user(&p, argp, sizeof(p)))
		return -EFAULT;
	if ((p.flags & ~SAIO_SETUP_FLAGS_ALL) || p.__resv_in)
		return -EINVAL;
	if (p.flags & SAIO_SETUP_OP_MASK) {
		/* a mask that allows nothing, or an opcode that does not exist: a mistake */
		if (!p.op_mask || p.op_mask & ~(SAIO_OP_BIT(SAIO_KOP_LAST) - 1))
			return -EINVAL;
	} else if (p.op_mask) {
		return -EINVAL;
	}
	if (!p.sq_entries || p.sq_entries > SAIO_MAX_SQ_ENTRIES ||
	    !is_power_of_2(p.sq_entries))
		return -EINVAL;
	if (!p.cq_entries)
		p.cq_entries = 2 * p.sq_entries;
	if (p.cq_entries < p.sq_entries || p.cq_entries > SAIO_MAX_CQ_ENTRIES ||
	    !is_power_of_2(p.cq_entries))
		return -EINVAL;
	if (!p.nr_rings || p.nr_rings > SAIO_MAX_RINGS)
		return -EINVAL;
	switch (p.mode) {
	case SAIO_MODE_ENTER:
		if (p.nr_workers)
			return -EINVAL;
		break;
	case SAIO_MODE_WORKER:
		if (!p.nr_workers || p.nr_workers > p.nr_rings)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}

	cq_off = SAIO_RING_CQ_OFF((size_t)p.sq_entries);
	ring_bytes = PAGE_ALIGN(cq_off + p.cq_entries * sizeof(struct saio_cqe));
	total = ring_bytes * p.nr_rings;

	ret = saio_limit_bytes(total);
	if (ret)
		return ret;

	mutex_lock(&ctx->lock);
	ret = -EBUSY;
	if (ctx->ready)
		goto out_unlock;
	ret = saio_user_charge(&ctx->user);
	if (ret)
		goto out_unlock;
	ret = saio_mem_alloc(&ctx->mem, total);
	if (ret)
		goto out_uncharge;
	ret = -ENOMEM;
	ctx->rings = kcalloc(p.nr_rings, sizeof(*ctx->rings),
			     GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!ctx->rings)
		goto out_free_mem;
	if (p.nr_workers) {
		ctx->workers = kcalloc(p.nr_workers, sizeof(*ctx->workers),
				       GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (!ctx->workers)
			goto out_free_rings;
	}

	ctx->mode = p.mode;
	ctx->op_mask = (p.flags & SAIO_SETUP_OP_MASK) ? p.op_mask :
		       SAIO_OP_BIT(SAIO_KOP_LAST) - 1;
	ctx->sq_entries = p.sq_entries;
	ctx->sq_mask = p.sq_entries - 1;
	ctx->cq_entries = p.cq_entries;
	ctx->cq_mask = p.cq_entries - 1;
	ctx->nr_rings = p.nr_rings;
	ctx->nr_workers = p.nr_workers;
	ctx->ring_bytes = ring_bytes;

	for (i = 0; i < p.nr_rings; i++) {
		struct saio_ring *r = &ctx->rings[i];
		char *base = (char *)ctx->mem.vaddr + (size_t)i * ring_bytes;

		r->hdr = (struct saio_ring_hdr *)base;
		r->sqes = (struct saio_sqe *)(base + SAIO_RING_SQ_OFF);
		r->cqes = (struct saio_cqe *)(base + cq_off);
		r->index = i;
		r->bound_cpu = -1;
		mutex_init(&r->lock);
		init_waitqueue_head(&r->cq_wait);
		atomic64_set(&r->wakes, 0);
		/* informational copies; the kernel never reads them back */
		r->hdr->sq_entries = p.sq_entries;
		r->hdr->cq_entries = p.cq_entries;
		r->hdr->sq_mask = p.sq_entries - 1;
		r->hdr->cq_mask = p.cq_entries - 1;
		r->hdr->ring_index = i;
	}
	for (i = 0; i < p.nr_workers; i++) {
		struct saio_worker_slot *w = &ctx->workers[i];

		init_waitqueue_head(&w->wq);
		w->cpu = -1;
		w->pinned_cpu = -1;
		w->nr_rings = DIV_ROUND_UP(p.nr_rings - i, p.nr_workers);
	}

	p.abi_version = SAIO_ABI_VERSION;
	p.sq_off = SAIO_RING_SQ_OFF;
	p.cq_off = cq_off;
	p.ring_bytes = ring_bytes;
	p.mmap_bytes = total;
	memset(p.__resv_out, 0, sizeof(p.__resv_out));
	ret = -EFAULT;
	if (copy_to_user(argp, &p, sizeof(p)))
		goto out_free_workers;

	ctx->owner = get_pid(task_tgid(current));
	ctx->mm = current->mm;
	mmgrab(ctx->mm);
	ctx->cred = get_current_cred();
	/* pairs with smp_load_acquire() in saio_is_ready(): all of the above is visible first */
	smp_store_release(&ctx->ready, true);
	mutex_unlock(&ctx->lock);
	return 0;

out_free_workers:
	kfree(ctx->workers);
	ctx->workers = NULL;
out_free_rings:
	kfree(ctx->rings);
	ctx->rings = NULL;
out_free_mem:
	saio_mem_free(&ctx->mem);
out_uncharge:
	saio_user_uncharge(ctx->user);
	ctx->user = NULL;
out_unlock:
	mutex_unlock(&ctx->lock);
	return ret;
}

static int saio_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct saio_ctx *ctx = file->private_data;

	if (!saio_is_ready(ctx))
		return -EINVAL;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (task_tgid(current) != ctx->owner || vma->vm_mm != ctx->mm)
		return -EPERM;
	return saio_mem_mmap(&ctx->mem, vma);
}

/* ---- ENTER --------------------------------------------------------------------- */

static long saio_enter(struct saio_ctx *ctx, void __user *argp)
{
	struct saio_enter e;
	struct saio_ring *r;
	u32 limit;
	long ret;

	if (copy_from_user(&e, argp, sizeof(e)))
		return -EFAULT;
	if (e.flags || e.__resv || e.ring >= ctx->nr_rings)
		return -EINVAL;
	if (ctx->mode != SAIO_MODE_ENTER)
		return -EINVAL;
	if (READ_ONCE(ctx->stopping))
		return -ESHUTDOWN;

	r = &ctx->rings[e.ring];
	limit = e.to_submit ? min(e.to_submit, ctx->sq_entries) : ctx->sq_entries;
	if (mutex_lock_interruptible(&r->lock))
		return -EINTR;
	saio_inc(&r->cnt.enters);
	/* each ENTER that stops is an event of its own */
	r->cq_stalled = false;
	r->tail_bad = false;
	ret = saio_ring_run(ctx, r, limit, NULL);
	mutex_unlock(&r->lock);
	return ret;
}

/* ---- WORKER -------------------------------------------------------------------- */

/* The CPU a localized worker goes to: the bound CPU of its first bound ring, shifted. */
static int saio_local_cpu(struct saio_ctx *ctx, u32 index, int offset)
{
	u32 i;

	for (i = index; i < ctx->nr_rings; i += ctx->nr_workers) {
		int cpu = READ_ONCE(ctx->rings[i].bound_cpu);
		s64 t;

		if (cpu < 0)
			continue;
		t = ((s64)cpu + offset) % nr_cpu_ids;
		if (t < 0)
			t += nr_cpu_ids;
		return cpu_online(t) ? (int)t : -1;
	}
	return -1;
}

/*
 * Pin the worker to @cpu, one of the CPUs its thread could run on when it came in
 * (@allowed: its affinity then, which the kernel keeps inside its cpuset). Anything
 * wider would skip the cpuset and LSM checks of sched_setaffinity(), which is not
 * exported: a thread that wants another CPU widens its own affinity first.
 */
static void saio_worker_pin(struct saio_worker_slot *w, int cpu,
			    const struct cpumask *allowed)
{
	if (cpu < 0 || cpu == w->pinned_cpu || !cpumask_test_cpu(cpu, allowed))
		return;
	if (!set_cpus_allowed_ptr(current, cpumask_of(cpu)))
		WRITE_ONCE(w->pinned_cpu, cpu);
}

/*
 * Give the thread its affinity back. If the pin is no longer what it runs with (a
 * cpuset change, or sched_setaffinity() from elsewhere, replaced it), that newer
 * choice stands.
 */
static int saio_worker_unpin(struct saio_worker_slot *w,
			     const struct cpumask *saved)
{
	if (w->pinned_cpu < 0 ||
	    !cpumask_equal(current->cpus_ptr, cpumask_of(w->pinned_cpu)))
		return 0;
	return set_cpus_allowed_ptr(current, saved);
}

static bool saio_worker_has_work(struct saio_ctx *ctx, u32 index)
{
	u32 i;

	for (i = index; i < ctx->nr_rings; i += ctx->nr_workers)
		if (saio_ring_has_work(ctx, &ctx->rings[i]))
			return true;
	return false;
}

static void saio_worker_flags(struct saio_ctx *ctx, u32 index, bool on)
{
	u32 i;

	for (i = index; i < ctx->nr_rings; i += ctx->nr_workers)
		saio_set_flag(&ctx->rings[i], SAIO_RING_NEED_WAKEUP, on);
}

/* Sleep until woken, a signal, or teardown, unless work shows up (K5). */
static void saio_worker_sleep(struct saio_ctx *ctx, u32 index,
			      struct saio_worker_slot *w)
{
	DEFINE_WAIT(wait);

	prepare_to_wait(&w->wq, &wait, TASK_INTERRUPTIBLE);
	saio_worker_flags(ctx, index, true);
	/*
	 * K5: NEED_WAKEUP is visible before we look at sq_tail again; pairs
	 * with the full fence user space puts between publishing sq_tail and
	 * reading the flags (U5). Either we see the new tail here, or the
	 * submitter sees NEED_WAKEUP and calls SAIO_IOC_WAKE, whose wake_up()
	 * finds us on w->wq.
	 */
	smp_mb();
	if (!saio_worker_has_work(ctx, index) && !READ_ONCE(ctx->stopping) &&
	    !signal_pending(current)) {
		WRITE_ONCE(w->state, SAIO_WSTATE_SLEEPING);
		saio_inc(&w->sleeps);
		schedule();
		saio_inc(&w->wakeups);
	}
	finish_wait(&w->wq, &wait);
	saio_worker_flags(ctx, index, false);
}

static long saio_worker_loop(struct saio_ctx *ctx, u32 index,
			     struct saio_worker_slot *w, u64 idle_ns,
			     bool localize, int offset,
			     const struct cpumask *allowed)
{
	u64 idle_since = ktime_get_ns();
	u32 i;

	for (;;) {
		bool progress = false;

		if (READ_ONCE(ctx->stopping))
			return 0;
		if (signal_pending(current))
			return -EINTR;

		WRITE_ONCE(w->cpu, raw_smp_processor_id());
		for (i = index; i < ctx->nr_rings; i += ctx->nr_workers) {
			if (saio_ring_run(ctx, &ctx->rings[i],
					  ctx->sq_entries, &w->ops) > 0)
				progress = true;
		}
		/*
		 * An entry queued work for this thread's return to user space:
		 * the final fput() of a CLOSE (the socket's FIN, the port, file
		 * locks), CPU-timer expiry. task_work_run() is not exported, and
		 * a worker that stayed here would hold all of it indefinitely:
		 * go out and let the caller call again.
		 */
		if (task_work_pending(current))
			return SAIO_WORKER_AGAIN;
		if (progress) {
			WRITE_ONCE(w->state, SAIO_WSTATE_RUNNING);
			idle_since = ktime_get_ns();
			continue;
		}
		if (ktime_get_ns() - idle_since < idle_ns) {
			WRITE_ONCE(w->state, SAIO_WSTATE_SPINNING);
			cpu_relax();
			cond_resched();
			continue;
		}
		saio_worker_sleep(ctx, index, w);
		WRITE_ONCE(w->state, SAIO_WSTATE_RUNNING);
		if (localize)
			saio_worker_pin(w, saio_local_cpu(ctx, index, offset),
					allowed);
		idle_since = ktime_get_ns();
	}
}

static long saio_worker(struct saio_ctx *ctx, void __user *argp)
{
	struct saio_worker_slot *w;
	struct saio_worker a;
	struct pid *old_pid;
	cpumask_var_t saved;
	bool localize;
	u64 idle_ns;
	long ret;
	int err;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	if (a.__resv[0] || a.__resv[1] || a.__resv[2] || a.__resv[3])
		return -EINVAL;
	if (a.flags & ~(SAIO_WORKER_LOCALIZE | SAIO_WORKER_PIN))
		return -EINVAL;
	if ((a.flags & SAIO_WORKER_LOCALIZE) && (a.flags & SAIO_WORKER_PIN))
		return -EINVAL;
	if (!a.flags && a.cpu)
		return -EINVAL;
	if ((a.flags & SAIO_WORKER_PIN) &&
	    (a.cpu < 0 || a.cpu >= nr_cpu_ids || !cpu_online(a.cpu) ||
	     !cpumask_test_cpu(a.cpu, current->cpus_ptr)))
		return -EINVAL;
	if (a.idle_us > SAIO_MAX_IDLE_US)
		return -EINVAL;
	if (ctx->mode != SAIO_MODE_WORKER || a.index >= ctx->nr_workers)
		return -EINVAL;
	if (READ_ONCE(ctx->stopping))
		return -ESHUTDOWN;

	idle_ns = (u64)(a.idle_us ? a.idle_us : default_idle_us) *
		  NSEC_PER_USEC;
	localize = a.flags & SAIO_WORKER_LOCALIZE;

	if (!alloc_cpumask_var(&saved, GFP_KERNEL | __GFP_NOWARN))
		return -ENOMEM;
	cpumask_copy(saved, current->cpus_ptr);

	w = &ctx->workers[a.index];
	mutex_lock(&ctx->lock);
	if (w->busy) {
		mutex_unlock(&ctx->lock);
		ret = -EBUSY;
		goto out_free;
	}
	w->busy = true;
	spin_lock(&ctx->pid_lock);
	w->pid = get_pid(task_pid(current));
	spin_unlock(&ctx->pid_lock);
	WRITE_ONCE(w->state, SAIO_WSTATE_RUNNING);
	WRITE_ONCE(w->pinned_cpu, -1);
	mutex_unlock(&ctx->lock);

	if (a.flags & SAIO_WORKER_PIN) {
		ret = set_cpus_allowed_ptr(current, cpumask_of(a.cpu));
		if (ret)
			goto out_release;
		WRITE_ONCE(w->pinned_cpu, a.cpu);
	} else if (localize) {
		saio_worker_pin(w, saio_local_cpu(ctx, a.index, a.cpu), saved);
	}

	ret = saio_worker_loop(ctx, a.index, w, idle_ns, localize, a.cpu,
			       saved);

	/* a thread left pinned must hear of it */
	err = saio_worker_unpin(w, saved);
	if (err && ret >= 0)
		ret = err;
out_release:
	mutex_lock(&ctx->lock);
	w->busy = false;
	spin_lock(&ctx->pid_lock);
	old_pid = w->pid;
	w->pid = NULL;
	spin_unlock(&ctx->pid_lock);
	put_pid(old_pid);
	WRITE_ONCE(w->state, SAIO_WSTATE_OFF);
	WRITE_ONCE(w->pinned_cpu, -1);
	mutex_unlock(&ctx->lock);
out_free:
	free_cpumask_var(saved);
	return ret;
}

/* ---- WAKE, BIND, WAIT, STATS --------------------------------------------------- */

static void saio_wake_worker(struct saio_ctx *ctx, u32 index)
{
	wake_up_interruptible(&ctx->workers[index].wq);
}

static long saio_wake(struct saio_ctx *ctx, void __user *argp)
{
	struct saio_wake a;
	u32 i;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	if (a.flags & ~(SAIO_WAKE_ALL | SAIO_WAKE_STOP))
		return -EINVAL;
	if (!a.flags && a.ring >= ctx->nr_rings)
		return -EINVAL;

	if (a.flags & SAIO_WAKE_STOP) {
		/* seen by workers after prepare_to_wait(), so the wake_up below finds them */
		WRITE_ONCE(ctx->stopping, true);
		for (i = 0; i < ctx->nr_rings; i++)
			wake_up_interruptible(&ctx->rings[i].cq_wait);
	}
	if (a.flags) {
		for (i = 0; i < ctx->nr_workers; i++)
			saio_wake_worker(ctx, i);
		return 0;
	}
	atomic64_inc(&ctx->rings[a.ring].wakes);
	if (ctx->nr_workers)
		saio_wake_worker(ctx, a.ring % ctx->nr_workers);
	return 0;
}

static long saio_bind(struct saio_ctx *ctx, void __user *argp)
{
	struct pid *pid, *old;
	struct saio_bind a;
	struct saio_ring *r;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	if (a.flags || a.ring >= ctx->nr_rings)
		return -EINVAL;
	r = &ctx->rings[a.ring];
	pid = get_pid(task_pid(current));
	spin_lock(&ctx->pid_lock);
	old = r->bound_pid;
	r->bound_pid = pid;
	WRITE_ONCE(r->bound_cpu, raw_smp_processor_id());
	spin_unlock(&ctx->pid_lock);
	put_pid(old);
	/* a localized worker moves next to it on its next wake-up */
	if (ctx->nr_workers)
		saio_wake_worker(ctx, a.ring % ctx->nr_workers);
	return 0;
}

static bool saio_cq_ready(struct saio_ctx *ctx, struct saio_ring *r)
{
	return READ_ONCE(r->cq_tail) != READ_ONCE(r->hdr->cq_head) ||
	       READ_ONCE(ctx->stopping);
}

static long saio_wait(struct saio_ctx *ctx, void __user *argp)
{
	struct saio_wait a;
	struct saio_ring *r;
	long ret;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	if (a.ring >= ctx->nr_rings)
		return -EINVAL;
	r = &ctx->rings[a.ring];
	if (!a.timeout_us)
		ret = saio_cq_ready(ctx, r) ? 1 : 0;
	else
		ret = wait_event_interruptible_timeout(r->cq_wait,
						       saio_cq_ready(ctx, r),
						       usecs_to_jiffies(a.timeout_us));
	if (ret < 0)
		return -EINTR;
	if (READ_ONCE(r->cq_tail) != READ_ONCE(r->hdr->cq_head))
		return 0;
	if (READ_ONCE(ctx->stopping))
		return -ESHUTDOWN;
	return a.timeout_us ? -ETIMEDOUT : -EAGAIN;
}

static long saio_eventfd(struct saio_ctx *ctx, void __user *argp)
{
	struct saio_eventfd a;
	struct eventfd_ctx *ev;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	if (a.ring >= ctx->nr_rings)
		return -EINVAL;
	ev = eventfd_ctx_fdget(a.fd);	/* -EBADF, or -EINVAL if not an eventfd */
	if (IS_ERR(ev))
		return PTR_ERR(ev);
	/* publishes the context to saio_signal_cq(); pairs with its load-acquire */
	if (cmpxchg_release(&ctx->rings[a.ring].evfd, NULL, ev)) {
		eventfd_ctx_put(ev);
		return -EBUSY;
	}
	return 0;
}

static long saio_stats(struct saio_ctx *ctx, void __user *argp)
{
	struct saio_ring_stats s;
	struct saio_ring *r;
	u32 ring;

	if (get_user(ring, (u32 __user *)argp))
		return -EFAULT;
	if (ring >= ctx->nr_rings)
		return -EINVAL;
	r = &ctx->rings[ring];
	memset(&s, 0, sizeof(s));
	s.ring = ring;
	s.worker = ctx->nr_workers ? ring % ctx->nr_workers : ~0U;
	spin_lock(&ctx->pid_lock);
	s.bound_tid = pid_vnr(r->bound_pid);	/* 0: none, or not visible to us */
	s.bound_cpu = READ_ONCE(r->bound_cpu);
	spin_unlock(&ctx->pid_lock);
	s.submitted = READ_ONCE(r->cnt.submitted);
	s.completed = READ_ONCE(r->cnt.completed);
	s.errors = READ_ONCE(r->cnt.errors);
	s.enters = READ_ONCE(r->cnt.enters);
	s.cq_full = READ_ONCE(r->cnt.cq_full);
	s.bad_tail = READ_ONCE(r->cnt.bad_tail);
	s.wakes = atomic64_read(&r->wakes);
	return copy_to_user(argp, &s, sizeof(s)) ? -EFAULT : 0;
}

static long saio_worker_info(struct saio_ctx *ctx, void __user *argp)
{
	struct saio_worker_info s;
	struct saio_worker_slot *w;
	u32 index;

	if (get_user(index, (u32 __user *)argp))
		return -EFAULT;
	if (index >= ctx->nr_workers)
		return -EINVAL;
	w = &ctx->workers[index];
	memset(&s, 0, sizeof(s));
	s.index = index;
	s.state = READ_ONCE(w->state);
	spin_lock(&ctx->pid_lock);
	s.tid = pid_vnr(w->pid);
	spin_unlock(&ctx->pid_lock);
	s.cpu = READ_ONCE(w->cpu);
	s.pinned_cpu = READ_ONCE(w->pinned_cpu);
	s.nr_rings = w->nr_rings;
	s.ops = READ_ONCE(w->ops);
	s.sleeps = READ_ONCE(w->sleeps);
	s.wakeups = READ_ONCE(w->wakeups);
	return copy_to_user(argp, &s, sizeof(s)) ? -EFAULT : 0;
}

/* ---- file operations ------------------------------------------------------------- */

/*
 * What a command needs the descriptor to be open for: reading for the ones that only
 * look (STATS, WORKER_INFO, WAIT), reading and writing for the ones that change or run
 * something (the rings are mapped read-write; mmap itself checks that). -EBADF, as
 * write(2) on a descriptor not open for writing.
 */
static int saio_check_fmode(struct file *file, unsigned int cmd)
{
	fmode_t need;

	switch (cmd) {
	case SAIO_IOC_STATS:
	case SAIO_IOC_WORKER_INFO:
	case SAIO_IOC_WAIT:
		need = FMODE_READ;
		break;
	case SAIO_IOC_SETUP:
	case SAIO_IOC_ENTER:
	case SAIO_IOC_WORKER:
	case SAIO_IOC_WAKE:
	case SAIO_IOC_BIND:
	case SAIO_IOC_EVENTFD:
		need = FMODE_READ | FMODE_WRITE;
		break;
	default:
		return 0;	/* unknown: -ENOTTY or -EINVAL below */
	}
	return (file->f_mode & need) == need ? 0 : -EBADF;
}

static long saio_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct saio_ctx *ctx = file->private_data;
	void __user *argp = (void __user *)arg;
	long ret;

	ret = saio_check_fmode(file, cmd);
	if (ret)
		return ret;
	if (cmd == SAIO_IOC_SETUP)
		return saio_setup(ctx, argp);
	if (!saio_is_ready(ctx))
		return (_IOC_TYPE(cmd) == SAIO_IOC_MAGIC) ? -EINVAL : -ENOTTY;

	/* not the owner: -EPERM, whatever the arguments */
	switch (cmd) {
	case SAIO_IOC_ENTER:
	case SAIO_IOC_WORKER:
		if (saio_may_run(ctx))
			return -EPERM;
		break;
	case SAIO_IOC_WAKE:
	case SAIO_IOC_BIND:
	case SAIO_IOC_EVENTFD:
		if (!saio_is_owner(ctx))
			return -EPERM;
		break;
	}

	switch (cmd) {
	case SAIO_IOC_ENTER:
	case SAIO_IOC_WORKER:
		/*
		 * An entry may close this very descriptor: hold the file (and so
		 * the context) until we return, whatever the file table does.
		 */
		get_file(file);
		if (cmd == SAIO_IOC_ENTER)
			ret = saio_enter(ctx, argp);
		else
			ret = saio_worker(ctx, argp);
		fput(file);
		return ret;
	case SAIO_IOC_WAKE:
		return saio_wake(ctx, argp);
	case SAIO_IOC_STATS:
		return saio_stats(ctx, argp);
	case SAIO_IOC_WORKER_INFO:
		return saio_worker_info(ctx, argp);
	case SAIO_IOC_BIND:
		return saio_bind(ctx, argp);
	case SAIO_IOC_WAIT:
		return saio_wait(ctx, argp);
	case SAIO_IOC_EVENTFD:
		return saio_eventfd(ctx, argp);
	default:
		return -ENOTTY;
	}
}

static int saio_open(struct inode *inode, struct file *file)
{
	struct saio_ctx *ctx;
	int ret;

	ret = saio_may_open();
	if (ret)
		return ret;
	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!ctx)
		return -ENOMEM;
	mutex_init(&ctx->lock);
	spin_lock_init(&ctx->pid_lock);
	file->private_data = ctx;
	return nonseekable_open(inode, file);
}

static int saio_release(struct inode *inode, struct file *file)
{
	struct saio_ctx *ctx = file->private_data;
	u32 i;

	/*
	 * No thread can be in ENTER or WORKER (they hold a file reference) and
	 * no mapping is left (each holds one too): nothing uses the rings.
	 */
	for (i = 0; ctx->rings && i < ctx->nr_rings; i++) {
		if (ctx->rings[i].evfd)
			eventfd_ctx_put(ctx->rings[i].evfd);
		put_pid(ctx->rings[i].bound_pid);
	}
	put_pid(ctx->owner);
	if (ctx->mm)
		mmdrop(ctx->mm);
	if (ctx->cred)
		put_cred(ctx->cred);
	kfree(ctx->workers);
	kfree(ctx->rings);
	saio_mem_free(&ctx->mem);
	saio_user_uncharge(ctx->user);
	kfree(ctx);
	return 0;
}

static const struct file_operations saio_fops = {
	.owner		= THIS_MODULE,
	.open		= saio_open,
	.release	= saio_release,
	.unlocked_ioctl	= saio_ioctl,
	.mmap		= saio_mmap,
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
	/* gone in 6.12: a NULL llseek with nonseekable_open() says -ESPIPE */
	.llseek		= no_llseek,
#endif
};

static struct miscdevice saio_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "saio",
	.fops	= &saio_fops,
	.mode	= 0600,
};

static int __init saio_init(void)
{
	int ret;

	BUILD_BUG_ON(sizeof(struct saio_sqe) != 64);
	BUILD_BUG_ON(sizeof(struct saio_cqe) != 16);
	BUILD_BUG_ON(sizeof(struct saio_ring_hdr) != 256);
	BUILD_BUG_ON(sizeof(struct saio_setup) != 64);

	if (!default_idle_us || default_idle_us > SAIO_MAX_IDLE_US) {
		pr_err("default_idle_us=%u: must be 1..%u\n", default_idle_us,
		       SAIO_MAX_IDLE_US);
		return -EINVAL;
	}

	ret = misc_register(&saio_misc);
	if (ret)
		pr_err("misc_register failed: %d\n", ret);
	return ret;
}

static void __exit saio_exit(void)
{
	misc_deregister(&saio_misc);
}

module_init(saio_init);
module_exit(saio_exit);

MODULE_DESCRIPTION("SAIO: shared-ring system call offload for event-driven servers");
MODULE_AUTHOR("SAIO Lab");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1.0");
