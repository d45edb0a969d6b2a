// SPDX-License-Identifier: GPL-2.0
/*
 * The operations a ring entry can ask for.
 *
 * Each runs in the context of a thread of the served process (the thread in
 * SAIO_IOC_ENTER or SAIO_IOC_WORKER), so descriptors resolve in that
 * process's file table and user pointers are that process's memory. Only
 * exported kernel interfaces are used. Every argument comes from user space
 * and is checked here; the entry has already been copied out of the shared
 * ring, so nothing below reads the ring again.
 */

#include <linux/errno.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fsnotify.h>
#include <linux/net.h>
#include <linux/sched/xacct.h>
#include <linux/socket.h>
#include <linux/splice.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/version.h>
#include <net/sock.h>
#include <linux/tcp.h>

#include "saio_internal.h"

#ifndef ITER_SOURCE
#define ITER_SOURCE WRITE
#endif

/* send flags a caller may pass; anything else (kernel-internal bits, zero copy) is refused */
#define SAIO_SEND_FLAGS (MSG_OOB | MSG_DONTROUTE | MSG_DONTWAIT | MSG_EOR | \
			 MSG_NOSIGNAL | MSG_MORE | MSG_CONFIRM)

/* A user buffer as a one-segment source iterator. */
static int saio_import_buf(u64 addr, u32 len, struct iovec *iov,
			   struct iov_iter *iter)
{
	void __user *buf = u64_to_user_ptr(addr);

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	/* import_single_range() gave way to import_ubuf() */
	return import_ubuf(ITER_SOURCE, buf, len, iter);
#else
	return import_single_range(ITER_SOURCE, buf, len, iov, iter);
#endif
}

/*
 * The position a write uses, as write(2)/pwrite(2) and writev(2)/pwritev(2) find it:
 * the file's (under f_pos_lock, which fdget_pos() would take; it is not exported),
 * none for a stream, or @off (-ESPIPE for a file without positions).
 */
struct saio_pos {
	loff_t pos;
	loff_t *ppos;
	bool cur, locked;
};

static int saio_pos_begin(struct file *f, u64 off, struct saio_pos *p)
{
	p->cur = off == SAIO_OFF_CURRENT;
	p->locked = false;
	p->ppos = NULL;
	if (!p->cur) {
		if (!(f->f_mode & FMODE_PWRITE))
			return -ESPIPE;
		p->pos = off;
		p->ppos = &p->pos;
		return 0;
	}
	if (f->f_mode & FMODE_STREAM)
		return 0;
	if (f->f_mode & FMODE_ATOMIC_POS) {
		if (mutex_lock_interruptible(&f->f_pos_lock))
			return -EINTR;
		p->locked = true;
	}
	p->pos = f->f_pos;
	p->ppos = &p->pos;
	return 0;
}

static void saio_pos_end(struct file *f, struct saio_pos *p, ssize_t ret)
{
	if (p->cur && p->ppos && ret >= 0)
		f->f_pos = p->pos;
	if (p->locked)
		mutex_unlock(&f->f_pos_lock);
}

/* The task's I/O accounting, kept as the system calls keep it (/proc/PID/io). */
static void saio_account_write(ssize_t ret)
{
	if (ret > 0)
		add_wchar(current, ret);
	inc_syscw(current);
}

/* The segment an iterator is at (iov_iter_iovec() before 6.4). */
static struct iovec saio_iter_iovec(const struct iov_iter *iter)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	return (struct iovec){ .iov_base = iter_iov_addr(iter),
			       .iov_len = iter_iov_len(iter) };
#else
	return iov_iter_iovec(iter);
#endif
}

/* A file without ->write_iter (eventfd, some /proc files): ->write per segment. */
static ssize_t saio_loop_write(struct file *f, struct iov_iter *iter,
			       loff_t *ppos)
{
	ssize_t ret = 0;

	while (iov_iter_count(iter)) {
		struct iovec v = saio_iter_iovec(iter);
		ssize_t nr = f->f_op->write(f, v.iov_base, v.iov_len, ppos);

		if (nr < 0) {
			if (!ret)
				ret = nr;
			break;
		}
		ret += nr;
		if (nr != v.iov_len)
			break;
		iov_iter_advance(iter, nr);
	}
	return ret;
}

/*
 * write(2)'s vfs_write() (not exported), check by check and in its order; ->write, or
 * ->write_iter over the one buffer, even for 0 bytes (a socket may answer an error).
 */
static ssize_t saio_vfs_write(struct file *f, u64 addr, size_t count,
			      loff_t *ppos)
{
	const char __user *buf = u64_to_user_ptr(addr);
	struct iov_iter iter;
	struct kiocb kiocb;
	struct iovec iov;
	ssize_t ret;

	if (!(f->f_mode & FMODE_WRITE))
		return -EBADF;
	if (!(f->f_mode & FMODE_CAN_WRITE))
		return -EINVAL;
	if (unlikely(!access_ok(buf, count)))
		return -EFAULT;
	ret = rw_verify_area(WRITE, f, ppos, count);
	if (ret)
		return ret;
	if (count > MAX_RW_COUNT)
		count = MAX_RW_COUNT;
	file_start_write(f);
	if (f->f_op->write) {
		ret = f->f_op->write(f, buf, count, ppos);
	} else if (f->f_op->write_iter) {
		init_sync_kiocb(&kiocb, f);
		kiocb.ki_pos = ppos ? *ppos : 0;
		ret = saio_import_buf(addr, count, &iov, &iter);
		if (!ret)
			ret = f->f_op->write_iter(&kiocb, &iter);
		if (ret > 0 && ppos)
			*ppos = kiocb.ki_pos;
	} else {
		ret = -EINVAL;
	}
	if (ret > 0)
		fsnotify_modify(f);
	saio_account_write(ret);
	file_end_write(f);
	return ret;
}

static ssize_t saio_op_write(struct file *f, const struct saio_sqe *s,
			     size_t *want)
{
	struct saio_pos p;
	ssize_t ret;

	*want = min_t(size_t, s->len, MAX_RW_COUNT);
	ret = saio_pos_begin(f, s->off, &p);
	if (ret)
		return ret;
	ret = saio_vfs_write(f, s->addr, s->len, p.ppos);
	saio_pos_end(f, &p, ret);
	return ret;
}

/* writev(2)/pwritev(2): vfs_writev() and do_iter_write(), in their order. */
static ssize_t saio_op_writev(struct file *f, const struct saio_sqe *s,
			      size_t *want)
{
	struct iovec iovstack[UIO_FASTIOV], *iov = iovstack;
	struct iov_iter iter;
	struct saio_pos p;
	ssize_t ret;

	ret = saio_pos_begin(f, s->off, &p);
	if (ret) {
		saio_account_write(ret);
		return ret;
	}
	ret = import_iovec(ITER_SOURCE, u64_to_user_ptr(s->addr), s->len,
			   ARRAY_SIZE(iovstack), &iov, &iter);
	if (ret >= 0) {
		*want = iov_iter_count(&iter);
		file_start_write(f);
		if (f->f_op->write_iter) {
			ret = vfs_iter_write(f, &iter, p.ppos, 0);
		} else if (!(f->f_mode & FMODE_WRITE)) {
			ret = -EBADF;
		} else if (!(f->f_mode & FMODE_CAN_WRITE)) {
			ret = -EINVAL;
		} else if (*want) {
			ret = rw_verify_area(WRITE, f, p.ppos, *want);
			if (!ret)
				ret = saio_loop_write(f, &iter, p.ppos);
			if (ret > 0)
				fsnotify_modify(f);
		}
		file_end_write(f);
		kfree(iov);
	}
	saio_pos_end(f, &p, ret);
	saio_account_write(ret);
	return ret;
}

static int saio_send_flags(struct file *f, u32 flags, unsigned int *out)
{
	if (flags & ~SAIO_SEND_FLAGS)
		return -EINVAL;
	*out = flags;
	if (f->f_flags & O_NONBLOCK)
		*out |= MSG_DONTWAIT;
	return 0;
}

static ssize_t saio_op_send(struct file *f, const struct saio_sqe *s,
			    size_t *want)
{
	struct msghdr msg = {};
	struct socket *sock;
	struct iovec iov;
	int ret;

	sock = sock_from_file(f);
	if (!sock)
		return -ENOTSOCK;
	ret = saio_send_flags(f, s->op_flags, &msg.msg_flags);
	if (ret)
		return ret;
	ret = saio_import_buf(s->addr, s->len, &iov, &msg.msg_iter);
	if (ret)
		return ret;
	*want = iov_iter_count(&msg.msg_iter);
	return sock_sendmsg(sock, &msg);
}

static ssize_t saio_op_sendmsg(struct file *f, const struct saio_sqe *s,
			       size_t *want)
{
	struct iovec iovstack[UIO_FASTIOV], *iov = iovstack;
	struct sockaddr_storage addr;
	struct user_msghdr umsg;
	struct msghdr msg = {};
	struct socket *sock;
	ssize_t ret;

	sock = sock_from_file(f);
	if (!sock)
		return -ENOTSOCK;
	ret = saio_send_flags(f, s->op_flags, &msg.msg_flags);
	if (ret)
		return ret;
	if (copy_from_user(&umsg, u64_to_user_ptr(s->addr), sizeof(umsg)))
		return -EFAULT;
	/* no ancillary data: descriptors passing through a worker is out of scope */
	if (umsg.msg_control || umsg.msg_controllen)
		return -EINVAL;
	/*
	 * The address as sendmsg(2) takes it (__copy_msghdr, move_addr_to_kernel): no
	 * name or a zero length is no address; a negative length is -EINVAL; a longer
	 * one than a sockaddr_storage is cut to that size.
	 */
	if (umsg.msg_name && umsg.msg_namelen) {
		if (umsg.msg_namelen < 0)
			return -EINVAL;
		msg.msg_namelen = min_t(int, umsg.msg_namelen, sizeof(addr));
		if (copy_from_user(&addr, umsg.msg_name, msg.msg_namelen))
			return -EFAULT;
		msg.msg_name = &addr;
	}
	if (umsg.msg_iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	ret = import_iovec(ITER_SOURCE, umsg.msg_iov, umsg.msg_iovlen,
			   ARRAY_SIZE(iovstack), &iov, &msg.msg_iter);
	if (ret < 0)
		return ret;
	*want = iov_iter_count(&msg.msg_iter);
	ret = sock_sendmsg(sock, &msg);
	kfree(iov);
	return ret;
}

/* sendfile(out, in, off or current position, len), as do_sendfile() checks it */
static ssize_t saio_op_sendfile(struct file *out, const struct saio_sqe *s,
				size_t *want)
{
	bool cur = s->off == SAIO_OFF_CURRENT;
	size_t count = min_t(size_t, s->len, MAX_RW_COUNT);
	loff_t pos, out_pos, max;
	struct file *in;
	ssize_t ret;

	*want = count;
	if (!(out->f_mode & FMODE_WRITE))
		return -EBADF;
	in = fget(s->fd_in);
	if (!in)
		return -EBADF;
	ret = -EBADF;
	if (!(in->f_mode & FMODE_READ))
		goto out;
	if (cur) {
		pos = in->f_pos;
	} else {
		ret = -ESPIPE;
		if (!(in->f_mode & FMODE_PREAD))
			goto out;
		pos = s->off;
	}
	ret = -EINVAL;
	if (pos < 0)
		goto out;
	max = min(file_inode(in)->i_sb->s_maxbytes,
		  file_inode(out)->i_sb->s_maxbytes);
	if (pos >= max) {
		ret = -EOVERFLOW;
		goto out;
	}
	if (count > max - pos)
		count = max - pos;
	*want = count;
	ret = 0;
	if (!count)
		goto out;

	out_pos = out->f_pos;
	file_start_write(out);
	ret = do_splice_direct(in, &pos, out, &out_pos, count, 0);
	file_end_write(out);
	if (ret > 0) {
		if (!(out->f_mode & FMODE_STREAM))
			out->f_pos = out_pos;
		if (cur)
			in->f_pos = pos;
	}
out:
	fput(in);
	return ret;
}

static int saio_op_shutdown(struct file *f, const struct saio_sqe *s)
{
	struct socket *sock = sock_from_file(f);

	if (!sock)
		return -ENOTSOCK;
	if (s->op_flags > SHUT_RDWR)
		return -EINVAL;
	return kernel_sock_shutdown(sock, s->op_flags);
}

/*
 * setsockopt(fd, SOL_TCP, TCP_CORK or TCP_NODELAY, &value, sizeof(int)) as the system
 * call passes it on: the socket's protocol answers (TCP sets it, UDP says -ENOPROTOOPT,
 * AF_UNIX -EOPNOTSUPP).
 */
static int saio_op_setsockopt(struct file *f, const struct saio_sqe *s)
{
	struct socket *sock = sock_from_file(f);
	int optname, val = s->off != 0;

	if (!sock)
		return -ENOTSOCK;
	switch (s->op_flags) {
	case SAIO_SOCKOPT_CORK:
		optname = TCP_CORK;
		break;
	case SAIO_SOCKOPT_NODELAY:
		optname = TCP_NODELAY;
		break;
	default:
		return -EINVAL;
	}
	if (!sock->ops->setsockopt)
		return -EOPNOTSUPP;
	return sock->ops->setsockopt(sock, SOL_TCP, optname,
				     KERNEL_SOCKPTR(&val), sizeof(val));
}

/* Restart codes must not reach user space through a completion. */
static s32 saio_fix_result(ssize_t ret)
{
	switch (ret) {
	case -ERESTARTSYS:
	case -ERESTARTNOINTR:
	case -ERESTARTNOHAND:
	case -ERESTART_RESTARTBLOCK:
		return -EINTR;
	}
	if (ret > INT_MAX)
		return INT_MAX;
	return ret;
}

/*
 * Run one entry. *full tells whether it did everything asked (all bytes of
 * a byte operation, success of any other), which is what SAIO_SQE_LINK
 * looks at. Opcodes outside @op_mask complete with -EACCES.
 */
s32 saio_exec_sqe(const struct saio_sqe *s, u32 op_mask, bool *full)
{
	size_t want = 0;
	struct file *f;
	ssize_t ret;

	*full = false;
	if (s->__pad0 || s->__pad1 || s->__resv[0] || s->__resv[1] ||
	    (s->flags & ~SAIO_SQE_FLAGS_ALL) || s->opcode >= SAIO_KOP_LAST)
		return -EINVAL;
	/* the context's op mask (SAIO_SETUP_OP_MASK), like io_uring's restrictions */
	if (!(op_mask & SAIO_OP_BIT(s->opcode)))
		return -EACCES;

	switch (s->opcode) {
	case SAIO_KOP_NOP:
		*full = true;
		return 0;
	case SAIO_KOP_WRITE:
	case SAIO_KOP_WRITEV:
		/* pwrite(2) and pwritev(2) look at the offset before the descriptor */
		if (s->off != SAIO_OFF_CURRENT && (s64)s->off < 0)
			return -EINVAL;
		break;
	case SAIO_KOP_CLOSE:
		ret = close_fd(s->fd);
		*full = ret == 0;
		return saio_fix_result(ret);
	case SAIO_KOP_SEND:
	case SAIO_KOP_SENDMSG:
	case SAIO_KOP_SENDFILE:
	case SAIO_KOP_SHUTDOWN:
	case SAIO_KOP_SETSOCKOPT:
		break;
	default:
		return -EINVAL;
	}

	f = fget(s->fd);
	if (!f)
		return -EBADF;

	switch (s->opcode) {
	case SAIO_KOP_WRITE:
		ret = saio_op_write(f, s, &want);
		break;
	case SAIO_KOP_WRITEV:
		ret = saio_op_writev(f, s, &want);
		break;
	case SAIO_KOP_SEND:
		ret = saio_op_send(f, s, &want);
		break;
	case SAIO_KOP_SENDMSG:
		ret = saio_op_sendmsg(f, s, &want);
		break;
	case SAIO_KOP_SENDFILE:
		ret = saio_op_sendfile(f, s, &want);
		break;
	case SAIO_KOP_SHUTDOWN:
		ret = saio_op_shutdown(f, s);
		break;
	default:
		ret = saio_op_setsockopt(f, s);
		break;
	}
	fput(f);

	*full = ret >= 0 && (size_t)ret >= want;
	return saio_fix_result(ret);
}
