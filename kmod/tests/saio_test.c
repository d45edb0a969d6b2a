// SPDX-License-Identifier: MIT
/*
 * Guest-side tests of saio.ko. Built static; run inside the QEMU guest by
 * kmod/tests/init.sh. Each test runs in its own child process with an alarm,
 * and prints exactly one line "PASS: name (ms)" or "FAIL: name: reason".
 *
 *   saio_test all            every test below
 *   saio_test NAME...        only these
 *   saio_test list           the names
 *   saio_test quick          open, set up, map, one NOP, close (load/unload loop)
 *   saio_test hold SECONDS   keep the device open (unload refusal)
 *   saio_test holdmap SECS   keep only a mapping of it (unload refusal)
 *   saio_test exec-probe E W V  (internal) the owner after exec probing its contexts
 */
#include "saio_test.h"

char fail_msg[512];

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t rng_state = 88172645463325252ULL;

uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

void fill_pattern(unsigned char *b, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (unsigned char)((i * 131 + seed * 7 + (i >> 9)) & 0xff);
}

ssize_t read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN) {
			usleep(100);
			continue;
		}
		if (r <= 0)
			break;
		got += r;
	}
	return got;
}

/* ---- helpers around a context ----------------------------------------------- */

int open_ctx(struct saio_client *c, uint32_t sq, uint32_t nr_rings,
		    uint32_t nr_workers, uint32_t mode)
{
	int ret = saio_client_open(c, sq, 0, nr_rings, nr_workers, mode);

	CHECK(ret == 0, "saio_client_open: %s", strerror(-ret));
	return 0;
}

/* Reap up to max completions into out[]; returns the count. */
int reap(struct saio_client *c, struct saio_uring *r, struct saio_cqe *out,
		int max)
{
	struct saio_cqe *cqe;
	int n = 0;

	while (n < max && (cqe = saio_peek_cqe(r))) {
		out[n++] = *cqe;
		saio_cq_advance(c, r, 1);
	}
	return n;
}

/* Submit the prepared entries of an ENTER-mode ring and reap exactly n. */
int run_batch(struct saio_client *c, struct saio_uring *r,
		     struct saio_cqe *out, int n)
{
	int got, ret;

	ret = saio_submit(c, r);
	CHECK(ret == n, "ENTER returned %d (%s), expected %d", ret,
	      ret < 0 ? strerror(-ret) : "", n);
	got = reap(c, r, out, n);
	CHECK(got == n, "reaped %d of %d", got, n);
	return 0;
}

struct saio_sqe *prep(struct saio_uring *r, uint8_t op, int fd,
			     const void *addr, uint32_t len, uint64_t off,
			     uint64_t ud)
{
	struct saio_sqe *s = saio_get_sqe(r);

	if (!s)
		return NULL;
	s->opcode = op;
	s->fd = fd;
	s->addr = (uint64_t)(uintptr_t)addr;
	s->len = len;
	s->off = off;
	s->user_data = ud;
	return s;
}

/* One entry, ENTER mode: its result. */
int one(struct saio_client *c, uint8_t op, int fd, const void *addr,
	       uint32_t len, uint64_t off, uint32_t op_flags, int fd_in, int *res)
{
	struct saio_uring *r = &c->ring[0];
	struct saio_sqe *s = prep(r, op, fd, addr, len, off, 0x5a5a);
	struct saio_cqe cqe;

	CHECK(s, "SQ full");
	s->op_flags = op_flags;
	s->fd_in = fd_in;
	TRY(run_batch(c, r, &cqe, 1));
	CHECK(cqe.user_data == 0x5a5a, "user_data %" PRIx64, (uint64_t)cqe.user_data);
	*res = cqe.res;
	return 0;
}

int tcp_pair(int *client, int *server)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int l, one_ = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(l >= 0, "socket: %s", strerror(errno));
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one_, sizeof(one_));
	CHECK(bind(l, (struct sockaddr *)&a, sizeof(a)) == 0, "bind: %s", strerror(errno));
	CHECK(listen(l, 4) == 0, "listen: %s", strerror(errno));
	CHECK(getsockname(l, (struct sockaddr *)&a, &al) == 0, "getsockname");
	*client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(*client >= 0, "socket");
	CHECK(connect(*client, (struct sockaddr *)&a, sizeof(a)) == 0,
	      "connect: %s (is lo up?)", strerror(errno));
	*server = accept(l, NULL, NULL);
	CHECK(*server >= 0, "accept: %s", strerror(errno));
	close(l);
	return 0;
}

struct reader {
	int fd;
	size_t want;
	unsigned char *buf;
	size_t got;
};

static void *reader_main(void *arg)
{
	struct reader *rd = arg;

	rd->got = read_full(rd->fd, rd->buf, rd->want);
	return NULL;
}

/* ---- tests: setup and interface validation -------------------------------------- */

static int t_setup_validation(void)
{
	struct { uint32_t sq, cq, rings, workers, mode, flags; } bad[] = {
		{ 0, 0, 1, 0, 0, 0 }, { 3, 0, 1, 0, 0, 0 }, { 8192, 0, 1, 0, 0, 0 },
		{ 8, 4, 1, 0, 0, 0 }, { 8, 12, 1, 0, 0, 0 }, { 8, 16384, 1, 0, 0, 0 },
		{ 8, 0, 0, 0, 0, 0 }, { 8, 0, 65, 0, 0, 0 }, { 8, 0, 2, 1, 0, 0 },
		{ 8, 0, 2, 0, 1, 0 }, { 8, 0, 2, 3, 1, 0 }, { 8, 0, 1, 0, 7, 0 },
		{ 8, 0, 1, 0, 0, 1 },
	};
	struct saio_setup p;
	struct saio_enter e = { 0 };
	unsigned int i;
	void *m;
	int fd;

	fd = open(SAIO_DEVICE, O_RDWR);
	CHECK(fd >= 0, "open %s: %s", SAIO_DEVICE, strerror(errno));
	CHECK(ioctl(fd, SAIO_IOC_ENTER, &e) < 0 && errno == EINVAL, "ENTER before SETUP");
	CHECK(ioctl(fd, _IO('x', 1), 0) < 0 && errno == ENOTTY, "foreign ioctl");
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(m == MAP_FAILED && errno == EINVAL, "mmap before SETUP");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&p, 0, sizeof(p));
		p.sq_entries = bad[i].sq;
		p.cq_entries = bad[i].cq;
		p.nr_rings = bad[i].rings;
		p.nr_workers = bad[i].workers;
		p.mode = bad[i].mode;
		p.flags = bad[i].flags;
		CHECK(ioctl(fd, SAIO_IOC_SETUP, &p) < 0 && errno == EINVAL,
		      "bad setup #%u accepted", i);
	}
	memset(&p, 0, sizeof(p));
	p.sq_entries = 8;
	p.nr_rings = 1;
	p.__resv_in = 1;
	CHECK(ioctl(fd, SAIO_IOC_SETUP, &p) < 0 && errno == EINVAL, "reserved field");
	CHECK(ioctl(fd, SAIO_IOC_SETUP, NULL) < 0 && errno == EFAULT, "NULL arg");
	CHECK(ioctl(fd, SAIO_IOC_SETUP, (void *)0xffffffff81000000UL) < 0 &&
	      errno == EFAULT, "kernel arg");
	p.__resv_in = 0;
	CHECK(ioctl(fd, SAIO_IOC_SETUP, &p) == 0, "good setup: %s", strerror(errno));
	CHECK(p.abi_version == SAIO_ABI_VERSION, "abi %u", p.abi_version);
	CHECK(p.cq_entries == 16, "default cq %u", p.cq_entries);
	CHECK(p.sq_off == sizeof(struct saio_ring_hdr), "sq_off");
	CHECK(p.cq_off == p.sq_off + 8 * sizeof(struct saio_sqe), "cq_off");
	CHECK(p.ring_bytes % 4096 == 0 && p.mmap_bytes == p.ring_bytes, "sizes");
	CHECK(ioctl(fd, SAIO_IOC_SETUP, &p) < 0 && errno == EBUSY, "second SETUP");
	m = mmap(NULL, p.mmap_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(m == MAP_FAILED && errno == EINVAL, "MAP_PRIVATE accepted");
	m = mmap(NULL, p.mmap_bytes + 4096, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(m == MAP_FAILED, "oversized mmap accepted");
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, p.mmap_bytes);
	CHECK(m == MAP_FAILED, "mmap past the end accepted");
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 1UL << 40);
	CHECK(m == MAP_FAILED, "mmap at huge offset accepted");
	m = mmap(NULL, p.mmap_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED, "mmap: %s", strerror(errno));
	CHECK(((struct saio_ring_hdr *)m)->sq_entries == 8, "hdr sq_entries");
	e.ring = 1;
	CHECK(ioctl(fd, SAIO_IOC_ENTER, &e) < 0 && errno == EINVAL, "ring 1 of 1");
	e.ring = 0;
	e.flags = 1;
	CHECK(ioctl(fd, SAIO_IOC_ENTER, &e) < 0 && errno == EINVAL, "ENTER flags");
	e.flags = 0;
	CHECK(ioctl(fd, SAIO_IOC_ENTER, &e) == 0, "empty ENTER: %s", strerror(errno));
	{
		struct saio_worker w = { 0 };

		CHECK(ioctl(fd, SAIO_IOC_WORKER, &w) < 0 && errno == EINVAL,
		      "WORKER in ENTER mode");
	}
	CHECK(ioctl(fd, _IOW(SAIO_IOC_MAGIC, 0x7f, int), 0) < 0 && errno == ENOTTY,
	      "unknown saio ioctl");
	munmap(m, p.mmap_bytes);
	close(fd);
	return 0;
}

static int t_nop_and_stats(void)
{
	struct saio_client c;
	struct saio_uring *r;
	struct saio_cqe cq[8];
	struct saio_ring_stats st = { .ring = 0 };
	int i;

	TRY(open_ctx(&c, 8, 1, 0, SAIO_MODE_ENTER));
	r = &c.ring[0];
	for (i = 0; i < 8; i++)
		CHECK(prep(r, SAIO_KOP_NOP, -1, NULL, 0, 0, 1000 + i), "get_sqe %d", i);
	CHECK(saio_get_sqe(r) == NULL, "9th SQE in an 8-entry ring");
	TRY(run_batch(&c, r, cq, 8));
	for (i = 0; i < 8; i++)
		CHECK(cq[i].res == 0 && cq[i].user_data == 1000u + i && !cq[i].flags,
		      "cqe %d: res %d ud %" PRIu64, i, cq[i].res, (uint64_t)cq[i].user_data);
	CHECK(ioctl(c.fd, SAIO_IOC_STATS, &st) == 0, "STATS");
	CHECK(st.submitted == 8 && st.completed == 8 && st.errors == 0 &&
	      st.enters == 1 && st.worker == ~0u, "stats %" PRIu64 "/%" PRIu64,
	      (uint64_t)st.submitted, (uint64_t)st.completed);
	st.ring = 5;
	CHECK(ioctl(c.fd, SAIO_IOC_STATS, &st) < 0 && errno == EINVAL, "STATS ring 5");
	saio_client_close(&c);
	return 0;
}

/* ---- tests: operations ------------------------------------------------------------ */

static int t_write_pipe(void)
{
	static unsigned char out[60000], in[60000];
	struct saio_client c;
	struct saio_uring *r;
	struct saio_cqe cq[4];
	struct iovec iov[3];
	int p[2], i;

	TRY(open_ctx(&c, 8, 1, 0, SAIO_MODE_ENTER));
	r = &c.ring[0];
	CHECK(pipe(p) == 0, "pipe");
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	fill_pattern(out, sizeof(out), 1);
	prep(r, SAIO_KOP_WRITE, p[1], out, 1000, SAIO_OFF_CURRENT, 1);
	iov[0] = (struct iovec){ out + 1000, 5000 };
	iov[1] = (struct iovec){ out + 6000, 0 };
	iov[2] = (struct iovec){ out + 6000, 24000 };
	prep(r, SAIO_KOP_WRITEV, p[1], iov, 3, SAIO_OFF_CURRENT, 2);
	prep(r, SAIO_KOP_WRITE, p[1], out + 30000, 30000, SAIO_OFF_CURRENT, 3);
	TRY(run_batch(&c, r, cq, 3));
	CHECK(cq[0].res == 1000 && cq[1].res == 29000 && cq[2].res == 30000,
	      "results %d %d %d", cq[0].res, cq[1].res, cq[2].res);
	CHECK(read_full(p[0], in, sizeof(in)) == sizeof(in), "short read");
	CHECK(memcmp(in, out, sizeof(in)) == 0, "pipe bytes differ");
	/* a pipe has no position: pwrite must fail */
	TRY(one(&c, SAIO_KOP_WRITE, p[1], out, 10, 0, 0, 0, &i));
	CHECK(i == -ESPIPE, "pwrite on pipe: %d", i);
	close(p[0]);
	close(p[1]);
	saio_client_close(&c);
	return 0;
}

static int t_write_file(void)
{
	static unsigned char out[20000], in[20000];
	struct saio_client c;
	struct saio_uring *r;
	struct saio_cqe cq[4];
	struct iovec iov[2];
	int fd, ro, res;

	TRY(open_ctx(&c, 8, 1, 0, SAIO_MODE_ENTER));
	r = &c.ring[0];
	fd = open("/tmp/saio_wf", O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0, "open");
	fill_pattern(out, sizeof(out), 2);
	/* current position twice, then pwrite, then pwritev */
	prep(r, SAIO_KOP_WRITE, fd, out, 3000, SAIO_OFF_CURRENT, 1);
	prep(r, SAIO_KOP_WRITE, fd, out + 3000, 2000, SAIO_OFF_CURRENT, 2);
	prep(r, SAIO_KOP_WRITE, fd, out + 10000, 10000, 10000, 3);
	iov[0] = (struct iovec){ out + 5000, 1000 };
	iov[1] = (struct iovec){ out + 6000, 4000 };
	prep(r, SAIO_KOP_WRITEV, fd, iov, 2, 5000, 4);
	TRY(run_batch(&c, r, cq, 4));
	CHECK(cq[0].res == 3000 && cq[1].res == 2000 && cq[2].res == 10000 &&
	      cq[3].res == 5000, "results %d %d %d %d", cq[0].res, cq[1].res,
	      cq[2].res, cq[3].res);
	CHECK(lseek(fd, 0, SEEK_CUR) == 5000, "file position %ld",
	      (long)lseek(fd, 0, SEEK_CUR));
	CHECK(pread(fd, in, sizeof(in), 0) == sizeof(in), "pread");
	CHECK(memcmp(in, out, sizeof(in)) == 0, "file bytes differ");
	/* O_APPEND honoured */
	close(fd);
	fd = open("/tmp/saio_wf", O_WRONLY | O_APPEND);
	TRY(one(&c, SAIO_KOP_WRITE, fd, out, 100, SAIO_OFF_CURRENT, 0, 0, &res));
	CHECK(res == 100, "append %d", res);
	CHECK(lseek(fd, 0, SEEK_END) == 20100, "append size");
	/* a read-only descriptor */
	ro = open("/tmp/saio_wf", O_RDONLY);
	TRY(one(&c, SAIO_KOP_WRITE, ro, out, 100, SAIO_OFF_CURRENT, 0, 0, &res));
	CHECK(res == -EBADF, "write to O_RDONLY: %d", res);
	TRY(one(&c, SAIO_KOP_WRITE, fd, out, 100, (uint64_t)-5, 0, 0, &res));
	CHECK(res == -EINVAL, "negative offset: %d", res);
	close(ro);
	close(fd);
	unlink("/tmp/saio_wf");
	saio_client_close(&c);
	return 0;
}

static int t_send_socketpair(void)
{
	static unsigned char out[50000], in[50000];
	struct saio_client c;
	struct saio_uring *r;
	struct saio_cqe cq[4];
	struct iovec iov[2];
	struct msghdr mh = { 0 };
	struct saio_sqe *s;
	int sv[2], buf = 1 << 20;

	TRY(open_ctx(&c, 8, 1, 0, SAIO_MODE_ENTER));
	r = &c.ring[0];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	fill_pattern(out, sizeof(out), 3);
	s = prep(r, SAIO_KOP_SEND, sv[0], out, 10000, 0, 1);
	s->op_flags = MSG_NOSIGNAL;
	iov[0] = (struct iovec){ out + 10000, 15000 };
	iov[1] = (struct iovec){ out + 25000, 5000 };
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	prep(r, SAIO_KOP_SENDMSG, sv[0], &mh, 0, 0, 2);
	prep(r, SAIO_KOP_WRITE, sv[0], out + 30000, 20000, SAIO_OFF_CURRENT, 3);
	TRY(run_batch(&c, r, cq, 3));
	CHECK(cq[0].res == 10000 && cq[1].res == 20000 && cq[2].res == 20000,
	      "results %d %d %d", cq[0].res, cq[1].res, cq[2].res);
	CHECK(read_full(sv[1], in, sizeof(in)) == sizeof(in), "short read");
	CHECK(memcmp(in, out, sizeof(in)) == 0, "socketpair bytes differ");
	close(sv[0]);
	close(sv[1]);
	saio_client_close(&c);
	return 0;
}

static int t_send_tcp(void)
{
	static unsigned char out[400000], in[400000];
	struct reader rd = { .buf = in, .want = sizeof(in) };
	struct saio_client c;
	struct saio_uring *r;
	struct saio_cqe cq[8];
	struct iovec iov[2];
	struct msghdr mh = { 0 };
	pthread_t th;
	int cl, sv, i;

	TRY(open_ctx(&c, 8, 1, 0, SAIO_MODE_ENTER));
	r = &c.ring[0];
	TRY(tcp_pair(&cl, &sv));
	rd.fd = sv;
	pthread_create(&th, NULL, reader_main, &rd);
	fill_pattern(out, sizeof(out), 4);
	/* blocking socket: each entry sends all of it while the reader drains */
	for (i = 0; i < 3; i++)
		prep(r, SAIO_KOP_SEND, cl, out + i * 100000, 100000, 0, i);
	iov[0] = (struct iovec){ out + 300000, 60000 };
	iov[1] = (struct iovec){ out + 360000, 40000 };
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	prep(r, SAIO_KOP_SENDMSG, cl, &mh, 0, 0, 3);
	TRY(run_batch(&c, r, cq, 4));
	pthread_join(th, NULL);
	for (i = 0; i < 4; i++)
		CHECK(cq[i].res == 100000 && cq[i].user_data == (uint64_t)i,
		      "entry %d: %d", i, cq[i].res);
	CHECK(rd.got == sizeof(in), "reader got %zu", rd.got);
	CHECK(memcmp(in, out, sizeof(in)) == 0, "TCP bytes differ");
	close(cl);
	close(sv);
	saio_client_close(&c);
	return 0;
}

static int t_sendmsg_udp(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	struct saio_client c;
	struct saio_uring *r;
	struct iovec iov;
	struct msghdr mh = { 0 };
	char msg[] = "datagram through saio", in[64];
	int rx, tx, res;
	ssize_t n;

	TRY(open_ctx(&c, 8, 1, 0, SAIO_MODE_ENTER));
	r = &c.ring[0];
	(void)r;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rx = socket(AF_INET, SOCK_DGRAM, 0);
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK(bind(rx, (struct sockaddr *)&a, sizeof(a)) == 0, "bind");
	getsockname(rx, (struct sockaddr *)&a, &al);
	iov = (struct iovec){ msg, sizeof(msg) };
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_name = &a;
	mh.msg_namelen = sizeof(a);
	TRY(one(&c, SAIO_KOP_SENDMSG, tx, &mh, 0, 0, 0, 0, &res));
	CHECK(res == sizeof(msg), "sendmsg to address: %d", res);
	n = recv(rx, in, sizeof(in), MSG_DONTWAIT);
	CHECK(n == sizeof(msg) && memcmp(in, msg, n) == 0, "datagram differs");
	/* ancillary data is refused, a bad name length too */
	mh.msg_control = in;
	mh.msg_controllen = 16;
	TRY(one(&c, SAIO_KOP_SENDMSG, tx, &mh, 0, 0, 0, 0, &res));
	CHECK(res == -EINVAL, "msg_control: %d", res);
	mh.msg_control = NULL;
	mh.msg_controllen = 0;
	/* name lengths as sendmsg(2) takes them: too long is cut, negative refused, 0 none */
	{
		static const int lens[] = { 100000, 129, -1, 0 };
		struct sockaddr_storage big;
		unsigned int i;

		memset(&big, 0, sizeof(big));
		memcpy(&big, &a, sizeof(a));
		mh.msg_name = &big;
		for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			ssize_t want;

			mh.msg_namelen = lens[i];
			want = sendmsg(tx, &mh, MSG_DONTWAIT);
			want = want < 0 ? -errno : want;
			TRY(one(&c, SAIO_KOP_SENDMSG, tx, &mh, 0, 0, 0, 0, &res));
			CHECK(res == want, "msg_namelen %d: %d, sendmsg(2) %zd", lens[i],
			      res, want);
		}
		while (recv(rx, in, sizeof(in), MSG_DONTWAIT) > 0)
			;
		mh.msg_name = &a;
	}
	mh.msg_namelen = sizeof(a);
	mh.msg_iovlen = 5000;
	TRY(one(&c, SAIO_KOP_SENDMSG, tx, &mh, 0, 0, 0, 0, &res));
	CHECK(res == -EMSGSIZE, "msg_iovlen: %d", res);
	TRY(one(&c, SAIO_KOP_SENDMSG, tx, NULL, 0, 0, 0, 0, &res));
	CHECK(res == -EFAULT, "NULL msghdr: %d", res);
	close(rx);
	close(tx);
	saio_client_close(&c);
	return 0;
}

static int t_sendfile(void)
{
	static unsigned char file[300000], in[300000];
	struct reader rd = { .buf = in };
	struct saio_client c;
	struct saio_uring *r;
	struct saio_cqe cq[4];
	struct saio_sqe *s;
	pthread_t th;
	int fd, cl, sv, p[2], out, res;

	TRY(open_ctx(&c, 8, 1, 0, SAIO_MODE_ENTER));
	r = &c.ring[0];
	fill_pattern(file, sizeof(file), 5);
	fd = open("/tmp/saio_sf", O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, file, sizeof(file)) == sizeof(file), "file");
	lseek(fd, 7, SEEK_SET);

	/* file -> TCP: an explicit offset, then the current position twice */
	TRY(tcp_pair(&cl, &sv));
	rd.fd = sv;
	rd.want = 200000 + 50000 + 1000;
	pthread_create(&th, NULL, reader_main, &rd);
	s = prep(r, SAIO_KOP_SENDFILE, cl, NULL, 200000, 1234, 1);
	s->fd_in = fd;
	s = prep(r, SAIO_KOP_SENDFILE, cl, NULL, 50000, SAIO_OFF_CURRENT, 2);
	s->fd_in = fd;
	s = prep(r, SAIO_KOP_SENDFILE, cl, NULL, 1000, SAIO_OFF_CURRENT, 3);
	s->fd_in = fd;
	TRY(run_batch(&c, r, cq, 3));
	pthread_join(th, NULL);
	CHECK(cq[0].res == 200000 && cq[1].res == 50000 && cq[2].res == 1000,
	      "results %d %d %d", cq[0].res, cq[1].res, cq[2].res);
	CHECK(rd.got == rd.want, "reader got %zu", rd.got);
	CHECK(memcmp(in, file + 1234, 200000) == 0, "offset range differs");
	CHECK(memcmp(in + 200000, file + 7, 51000) == 0, "current-position range differs");
	CHECK(lseek(fd, 0, SEEK_CUR) == 7 + 51000, "in position %ld",
	      (long)lseek(fd, 0, SEEK_CUR));
	close(cl);
	close(sv);

	/* file -> pipe */
	CHECK(pipe(p) == 0, "pipe");
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	s = prep(r, SAIO_KOP_SENDFILE, p[1], NULL, 60000, 100, 4);
	s->fd_in = fd;
	TRY(run_batch(&c, r, cq, 1));
	CHECK(cq[0].res == 60000, "to pipe: %d", cq[0].res);
	CHECK(read_full(p[0], in, 60000) == 60000 && !memcmp(in, file + 100, 60000),
	      "pipe bytes differ");

	/* file -> file, past EOF gives 0, bad descriptors and offsets */
	out = open("/tmp/saio_sf2", O_RDWR | O_CREAT | O_TRUNC, 0600);
	s = prep(r, SAIO_KOP_SENDFILE, out, NULL, 100000, 5, 5);
	s->fd_in = fd;
	TRY(run_batch(&c, r, cq, 1));
	CHECK(cq[0].res == 100000, "to file: %d", cq[0].res);
	CHECK(pread(out, in, 100000, 0) == 100000 && !memcmp(in, file + 5, 100000),
	      "file bytes differ");
	TRY(one(&c, SAIO_KOP_SENDFILE, out, NULL, 100, 400000, 0, fd, &res));
	CHECK(res == 0, "past EOF: %d", res);
	TRY(one(&c, SAIO_KOP_SENDFILE, out, NULL, 100, 0, 0, 999, &res));
	CHECK(res == -EBADF, "bad fd_in: %d", res);
	TRY(one(&c, SAIO_KOP_SENDFILE, out, NULL, 100, (uint64_t)-7, 0, fd, &res));
	CHECK(res == -EINVAL, "negative offset: %d", res);
	TRY(one(&c, SAIO_KOP_SENDFILE, out, NULL, 100, 0, 0, p[0], &res));
	CHECK(res == -ESPIPE || res == -EINVAL, "pipe as input with offset: %d", res);
	TRY(one(&c, SAIO_KOP_SENDFILE, p[0], NULL, 100, 0, 0, fd, &res));
	CHECK(res == -EBADF, "read end as output: %d", res);
	close(p[0]);
	close(p[1]);
	close(out);
	close(fd);
	unlink("/tmp/saio_sf");
	unlink("/tmp/saio_sf2");
	saio_client_close(&c);
	return 0;
}

static int t_close_shutdown(void)
{
	struct saio_client c;
	int sv[2], p[2], res;
	char b;

	TRY(open_ctx(&c, 8, 1, 0, SAIO_MODE_ENTER));
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	CHECK(pipe(p) == 0, "pipe");
	TRY(one(&c, SAIO_KOP_SHUTDOWN, sv[0], NULL, 0, 0, SHUT_WR, 0, &res));
	CHECK(res == 0, "shutdown: %d", res);
	CHECK(read(sv[1], &b, 1) == 0, "peer did not see EOF");
	TRY(one(&c, SAIO_KOP_SHUTDOWN, sv[0], NULL, 0, 0, 3, 0, &res));
	CHECK(res == -EINVAL, "shutdown how=3: %d", res);
	TRY(one(&c, SAIO_KOP_SHUTDOWN, p[0], NULL, 0, 0, SHUT_RD, 0, &res));
	CHECK(res == -ENOTSOCK, "shutdown on pipe: %d", res);
	TRY(one(&c, SAIO_KOP_CLOSE, sv[0], NULL, 0, 0, 0, 0, &res));
	CHECK(res == 0, "close: %d", res);
	CHECK(fcntl(sv[0], F_GETFD) < 0 && errno == EBADF, "fd still open");
	TRY(one(&c, SAIO_KOP_CLOSE, sv[0], NULL, 0, 0, 0, 0, &res));
	CHECK(res == -EBADF, "second close: %d", res);
	TRY(one(&c, SAIO_KOP_CLOSE, -1, NULL, 0, 0, 0, 0, &res));
	CHECK(res == -EBADF, "close(-1): %d", res);
	TRY(one(&c, SAIO_KOP_CLOSE, INT_MAX, NULL, 0, 0, 0, 0, &res));
	CHECK(res == -EBADF, "close(INT_MAX): %d", res);
	/* closing the peer of a pipe: the reader sees EOF */
	TRY(one(&c, SAIO_KOP_CLOSE, p[1], NULL, 0, 0, 0, 0, &res));
	CHECK(res == 0 && read(p[0], &b, 1) == 0, "pipe close");
	close(p[0]);
	close(sv[1]);
	saio_client_close(&c);
	return 0;
}

static int t_setsockopt(void)
{
	struct saio_client c;
	int cl, sv, res, v;
	socklen_t l = sizeof(v);
	int sp[2];

	TRY(open_ctx(&c, 8, 1, 0, SAIO_MODE_ENTER));
	TRY(tcp_pair(&cl, &sv));
	TRY(one(&c, SAIO_KOP_SETSOCKOPT, cl, NULL, 0, 1, SAIO_SOCKOPT_CORK, 0, &res));
	CHECK(res == 0, "cork on: %d", res);
	getsockopt(cl, IPPROTO_TCP, TCP_CORK, &v, &l);
	CHECK(v == 1, "TCP_CORK not set");
	TRY(one(&c, SAIO_KOP_SETSOCKOPT, cl, NULL, 0, 0, SAIO_SOCKOPT_CORK, 0, &res));
	getsockopt(cl, IPPROTO_TCP, TCP_CORK, &v, &l);
	CHECK(res == 0 && v == 0, "TCP_CORK not cleared");
	TRY(one(&c, SAIO_KOP_SETSOCKOPT, cl, NULL, 0, 1, SAIO_SOCKOPT_NODELAY, 0, &res));
	getsockopt(cl, IPPROTO_TCP, TCP_NODELAY, &v, &l);
	CHECK(res == 0 && v == 1, "TCP_NODELAY not set");
	TRY(one(&c, SAIO_KOP_SETSOCKOPT, cl, NULL, 0, 1, 77, 0, &res));
	CHECK(res == -EINVAL, "unknown option: %d", res);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0, "socketpair");
	TRY(one(&c, SAIO_KOP_SETSOCKOPT, sp[0], NULL, 0, 1, SAIO_SOCKOPT_CORK, 0, &res));
	CHECK(res == -EOPNOTSUPP, "cork on AF_UNIX: %d", res);
	close(sp[0]);
	close(sp[1]);
	close(cl);
	close(sv);
	saio_client_close(&c);
	return 0;
}

/* ---- tests: errors, links, short writes, full rings ------------------------------ */

static int t_errors_per_entry(void)
{
	static unsigned char out[4096];
	struct saio_client c;
	struct saio_uring *r;
	struct saio_cqe cq[32];
	struct saio_sqe *s;
	struct iovec iov = { (void *)0xffff888000000000UL, 10 };
	int p[2], sp[2], n = 0, i, ro;
	unsigned char in[64];
	struct {
		int expect;
		const char *what;
	} exp[32];

	TRY(open_ctx(&c, 32, 1, 0, SAIO_MODE_ENTER));
	r = &c.ring[0];
	CHECK(pipe(p) == 0, "pipe");
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0, "socketpair");
	ro = open("/proc/self/stat", O_RDONLY);
	memset(out, 'a', sizeof(out));

#define E(ex, wh) do { exp[n].expect = (ex); exp[n].what = (wh); n++; } while (0)
	prep(r, SAIO_KOP_WRITE, p[1], "0", 1, SAIO_OFF_CURRENT, n); E(1, "good 0");
	prep(r, 200, p[1], out, 1, 0, n); E(-EINVAL, "unknown opcode");
	prep(r, SAIO_KOP_LAST, p[1], out, 1, 0, n); E(-EINVAL, "opcode LAST");
	prep(r, SAIO_KOP_WRITE, 12345, out, 1, SAIO_OFF_CURRENT, n); E(-EBADF, "bad fd");
	prep(r, SAIO_KOP_WRITE, -7, out, 1, SAIO_OFF_CURRENT, n); E(-EBADF, "negative fd");
	prep(r, SAIO_KOP_WRITE, p[1], NULL, 10, SAIO_OFF_CURRENT, n); E(-EFAULT, "NULL buffer");
	prep(r, SAIO_KOP_WRITE, p[1], (void *)0xffffffff81000000UL, 10,
	     SAIO_OFF_CURRENT, n); E(-EFAULT, "kernel text pointer");
	prep(r, SAIO_KOP_WRITE, p[1], (void *)0x8000000000000000UL, 10,
	     SAIO_OFF_CURRENT, n); E(-EFAULT, "non-canonical pointer");
	prep(r, SAIO_KOP_WRITEV, p[1], &iov, 1, SAIO_OFF_CURRENT, n); E(-EFAULT, "kernel iovec base");
	prep(r, SAIO_KOP_WRITEV, p[1], out, 100000, SAIO_OFF_CURRENT, n); E(-EINVAL, "iovcnt > UIO_MAXIOV");
	prep(r, SAIO_KOP_WRITEV, p[1], NULL, 2, SAIO_OFF_CURRENT, n); E(-EFAULT, "NULL iovec array");
	s = prep(r, SAIO_KOP_WRITE, p[1], out, 1, SAIO_OFF_CURRENT, n); E(-EINVAL, "pad0 set");
	s->__pad0 = 1;
	s = prep(r, SAIO_KOP_WRITE, p[1], out, 1, SAIO_OFF_CURRENT, n); E(-EINVAL, "resv set");
	s->__resv[1] = 1;
	s = prep(r, SAIO_KOP_WRITE, p[1], out, 1, SAIO_OFF_CURRENT, n); E(-EINVAL, "unknown sqe flag");
	s->flags = 0x80;
	prep(r, SAIO_KOP_WRITE, p[0], out, 1, SAIO_OFF_CURRENT, n); E(-EBADF, "write to read end");
	prep(r, SAIO_KOP_WRITE, ro, out, 1, SAIO_OFF_CURRENT, n); E(-EBADF, "write to O_RDONLY");
	prep(r, SAIO_KOP_SEND, p[1], out, 1, 0, n); E(-ENOTSOCK, "send on pipe");
	s = prep(r, SAIO_KOP_SEND, sp[0], out, 1, 0, n); E(-EINVAL, "send flag not allowed");
	s->op_flags = 0x40000000;
	prep(r, SAIO_KOP_WRITE, p[1], "1", 1, SAIO_OFF_CURRENT, n); E(1, "good 1");
	prep(r, SAIO_KOP_NOP, 0, NULL, 0, 0, n); E(0, "nop");
	prep(r, SAIO_KOP_WRITE, p[1], "2", 1, SAIO_OFF_CURRENT, n); E(1, "good 2");
#undef E
	TRY(run_batch(&c, r, cq, n));
	for (i = 0; i < n; i++)
		CHECK(cq[i].user_data == (uint64_t)i && cq[i].res == exp[i].expect,
		      "entry %d (%s): res %d, expected %d", i, exp[i].what,
		      cq[i].res, exp[i].expect);
	CHECK(read(p[0], in, sizeof(in)) == 3 && !memcmp(in, "012", 3),
	      "good entries' bytes");
	close(p[0]);
	close(p[1]);
	close(ro);
	close(sp[0]);
	close(sp[1]);
	saio_client_close(&c);
	return 0;
}

static int t_link(void)
{
	struct saio_client c;
	struct saio_uring *r;
	struct saio_cqe cq[16];
	struct saio_sqe *s;
	int p[2], i;
	char in[16];

	TRY(open_ctx(&c, 16, 1, 0, SAIO_MODE_ENTER));
	r = &c.ring[0];
	CHECK(pipe(p) == 0, "pipe");
	/* chain A: good -> good -> good(end) */
	s = prep(r, SAIO_KOP_WRITE, p[1], "a", 1, SAIO_OFF_CURRENT, 0); s->flags = SAIO_SQE_LINK;
	s = prep(r, SAIO_KOP_WRITE, p[1], "b", 1, SAIO_OFF_CURRENT, 1); s->flags = SAIO_SQE_LINK;
	prep(r, SAIO_KOP_WRITE, p[1], "c", 1, SAIO_OFF_CURRENT, 2);
	/* chain B: good -> bad -> cancelled -> cancelled(end) */
	s = prep(r, SAIO_KOP_WRITE, p[1], "d", 1, SAIO_OFF_CURRENT, 3); s->flags = SAIO_SQE_LINK;
	s = prep(r, SAIO_KOP_WRITE, 999, "x", 1, SAIO_OFF_CURRENT, 4); s->flags = SAIO_SQE_LINK;
	s = prep(r, SAIO_KOP_WRITE, p[1], "y", 1, SAIO_OFF_CURRENT, 5); s->flags = SAIO_SQE_LINK;
	prep(r, SAIO_KOP_WRITE, p[1], "z", 1, SAIO_OFF_CURRENT, 6);
	/* independent entry after the chain runs */
	prep(r, SAIO_KOP_WRITE, p[1], "e", 1, SAIO_OFF_CURRENT, 7);
	/* chain C: a short (failing) entry cancels the rest */
	s = prep(r, SAIO_KOP_WRITE, p[1], NULL, 5, SAIO_OFF_CURRENT, 8); s->flags = SAIO_SQE_LINK;
	prep(r, SAIO_KOP_NOP, 0, NULL, 0, 0, 9);
	TRY(run_batch(&c, r, cq, 10));
	{
		int want[10] = { 1, 1, 1, 1, -EBADF, -ECANCELED, -ECANCELED, 1,
				 -EFAULT, -ECANCELED };

		for (i = 0; i < 10; i++) {
			CHECK(cq[i].res == want[i], "entry %d: %d, expected %d", i,
			      cq[i].res, want[i]);
			CHECK(!!(cq[i].flags & SAIO_CQE_CANCELED_LINK) ==
			      (want[i] == -ECANCELED), "entry %d flags", i);
		}
	}
	/* a chain split across two ENTERs keeps its state */
	s = prep(r, SAIO_KOP_CLOSE, -1, NULL, 0, 0, 10); s->flags = SAIO_SQE_LINK;
	TRY(run_batch(&c, r, cq, 1));
	prep(r, SAIO_KOP_NOP, 0, NULL, 0, 0, 11);
	TRY(run_batch(&c, r, cq + 1, 1));
	CHECK(cq[0].res == -EBADF && cq[1].res == -ECANCELED, "split chain %d %d",
	      cq[0].res, cq[1].res);
	CHECK(read(p[0], in, sizeof(in)) == 5 && !memcmp(in, "abcde", 5),
	      "bytes of linked writes");
	close(p[0]);
	close(p[1]);
	saio_client_close(&c);
	return 0;
}

static int t_short_write(void)
{
	size_t big = 4 << 20, got;
	unsigned char *out = malloc(big), *in = malloc(big);
	struct saio_client c;
	int sv[2], res, small = 4096;

	TRY(open_ctx(&c, 8, 1, 0, SAIO_MODE_ENTER));
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0, "socketpair");
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	fill_pattern(out, big, 6);
	TRY(one(&c, SAIO_KOP_SEND, sv[0], out, big, 0, MSG_NOSIGNAL, 0, &res));
	CHECK(res > 0 && (size_t)res < big, "short send expected, got %d", res);
	got = read_full(sv[1], in, res);
	CHECK(got == (size_t)res && !memcmp(in, out, res), "prefix differs");
	/* the rest, resubmitted by the caller until all of it is through */
	{
		size_t done = res;
		int rounds = 0;

		while (done < big && rounds++ < 100000) {
			TRY(one(&c, SAIO_KOP_WRITE, sv[0], out + done, big - done,
				SAIO_OFF_CURRENT, 0, 0, &res));
			CHECK(res > 0 || res == -EAGAIN, "write: %d", res);
			if (res > 0) {
				CHECK(read_full(sv[1], in + done, res) == (size_t)res,
				      "read");
				done += res;
			} else {
				usleep(100);
			}
		}
		CHECK(done == big && !memcmp(in, out, big), "reassembled bytes differ");
	}
	/* a full socket buffer: EAGAIN in the entry, not a blocked thread */
	do {
		TRY(one(&c, SAIO_KOP_SEND, sv[0], out, 65536, 0, 0, 0, &res));
	} while (res > 0);
	CHECK(res == -EAGAIN, "full buffer: %d", res);
	/* peer gone: EPIPE in the entry (MSG_NOSIGNAL: no signal) */
	close(sv[1]);
	TRY(one(&c, SAIO_KOP_SEND, sv[0], out, 10, 0, MSG_NOSIGNAL, 0, &res));
	CHECK(res == -EPIPE, "send to closed peer: %d", res);
	close(sv[0]);
	free(out);
	free(in);
	saio_client_close(&c);
	return 0;
}

static int t_cq_full(void)
{
	struct saio_client c;
	struct saio_uring *r;
	struct saio_cqe cq[32];
	struct saio_enter e = { .ring = 0 };
	struct saio_ring_stats st = { .ring = 0 };
	int ret, i, n;

	/* SQ 8, CQ 8: a second batch finds the CQ full */
	CHECK(saio_client_open(&c, 8, 8, 1, 0, SAIO_MODE_ENTER) == 0, "open");
	r = &c.ring[0];
	for (i = 0; i < 8; i++)
		prep(r, SAIO_KOP_NOP, 0, NULL, 0, 0, i);
	CHECK(saio_submit(&c, r) == 8, "first batch");
	for (i = 8; i < 12; i++)
		prep(r, SAIO_KOP_NOP, 0, NULL, 0, 0, i);
	ret = saio_submit(&c, r);
	CHECK(ret == -EBUSY, "full CQ: ENTER returned %d", ret);
	CHECK(r->hdr->flags & SAIO_RING_CQ_FULL, "CQ_FULL flag not set");
	CHECK(r->hdr->cq_overflow == 1, "cq_overflow %u", r->hdr->cq_overflow);
	CHECK(r->hdr->sq_head == 8, "entries consumed despite a full CQ");
	/* reap 2: exactly 2 more run, in order */
	CHECK(reap(&c, r, cq, 2) == 2, "reap 2");
	ret = ioctl(c.fd, SAIO_IOC_ENTER, &e);
	CHECK(ret == 2, "after reaping 2: %d", ret);
	n = 2 + reap(&c, r, cq + 2, 30);
	CHECK(n == 10, "reaped %d", n);
	ret = ioctl(c.fd, SAIO_IOC_ENTER, &e);
	CHECK(ret == 2, "rest: %d", ret);
	n += reap(&c, r, cq + n, 30 - n);
	CHECK(n == 12, "total %d", n);
	for (i = 0; i < 12; i++)
		CHECK(cq[i].user_data == (uint64_t)i, "order at %d: %" PRIu64, i,
		      (uint64_t)cq[i].user_data);
	CHECK(!(r->hdr->flags & SAIO_RING_CQ_FULL), "CQ_FULL flag not cleared");
	/* a cq_head that user space moved past the tail counts as a full CQ */
	r->hdr->cq_head += 100;
	prep(r, SAIO_KOP_NOP, 0, NULL, 0, 0, 99);
	CHECK(saio_submit(&c, r) == -EBUSY, "bogus cq_head not treated as full");
	r->hdr->cq_head -= 100;
	CHECK(ioctl(c.fd, SAIO_IOC_ENTER, &e) == 1, "after repairing cq_head");
	CHECK(ioctl(c.fd, SAIO_IOC_STATS, &st) == 0 && st.cq_full == 3, "stats cq_full %" PRIu64,
	      (uint64_t)st.cq_full);
	saio_client_close(&c);
	return 0;
}

static int t_bad_tail(void)
{
	struct saio_client c;
	struct saio_uring *r;
	struct saio_enter e = { .ring = 0 };
	struct saio_cqe cq[8];
	uint32_t vals[] = { 9, 100, 0x80000000u, 0xffffffffu };
	unsigned int i;

	TRY(open_ctx(&c, 8, 1, 0, SAIO_MODE_ENTER));
	r = &c.ring[0];
	for (i = 0; i < 4; i++) {
		r->hdr->sq_tail = vals[i];
		CHECK(ioctl(c.fd, SAIO_IOC_ENTER, &e) < 0 && errno == EINVAL,
		      "tail %u accepted", vals[i]);
	}
	CHECK(r->hdr->sq_bad_tail == 4 && r->hdr->sq_head == 0, "bad tail accounting");
	/* garbage in sq_head (kernel-owned) is ignored; the ring still works */
	r->hdr->sq_tail = 0;
	r->hdr->sq_head = 12345;
	CHECK(ioctl(c.fd, SAIO_IOC_ENTER, &e) == 0, "empty ring with garbage sq_head");
	r->hdr->sq_head = 0;
	prep(r, SAIO_KOP_NOP, 0, NULL, 0, 0, 7);
	r->hdr->sq_head = 12345;
	TRY(run_batch(&c, r, cq, 1));
	CHECK(cq[0].user_data == 7 && r->hdr->sq_head == 1, "after garbage sq_head");
	/* to_submit bounds one call */
	for (i = 0; i < 8; i++)
		prep(r, SAIO_KOP_NOP, 0, NULL, 0, 0, i);
	saio_store_release(&r->hdr->sq_tail, r->sq_tail);
	e.to_submit = 3;
	CHECK(ioctl(c.fd, SAIO_IOC_ENTER, &e) == 3, "to_submit 3");
	e.to_submit = 1000;
	CHECK(ioctl(c.fd, SAIO_IOC_ENTER, &e) == 5, "the rest");
	saio_client_close(&c);
	return 0;
}

/* ---- tests: ordering under load ---------------------------------------------------- */

struct order_arg {
	struct saio_client *c;
	int ring;
	int wfd, rfd;
	int rounds;
	int err;
	char msg[128];
};

#define REC 16

static void *order_reader(void *p)
{
	struct order_arg *a = p;
	unsigned char rec[REC];
	uint32_t expect = 0;
	int i;

	for (i = 0; i < a->rounds * 16; i++) {
		if (read_full(a->rfd, rec, REC) != REC) {
			a->err = 1;
			snprintf(a->msg, sizeof(a->msg), "short read at %u", expect);
			return NULL;
		}
		uint32_t seq, ring;

		memcpy(&seq, rec, 4);
		memcpy(&ring, rec + 4, 4);
		if (seq != expect || ring != (uint32_t)a->ring) {
			a->err = 1;
			snprintf(a->msg, sizeof(a->msg),
				 "ring %d: record %u arrived where %u was due",
				 a->ring, seq, expect);
			return NULL;
		}
		expect++;
	}
	return NULL;
}

/* One submitting thread per ring: batches of 16 records, each its own write. */
static void *order_writer(void *p)
{
	struct order_arg *a = p;
	struct saio_uring *r = &a->c->ring[a->ring];
	static __thread unsigned char recs[64][REC];
	uint32_t seq = 0, slot = 0;
	uint64_t done = 0, sent = 0;
	int round, i;

	for (round = 0; round < a->rounds; round++) {
		for (i = 0; i < 16; i++) {
			struct saio_sqe *s;
			unsigned char *rec = recs[slot++ % 64];

			while (!(s = saio_get_sqe(r))) {
				struct saio_cqe *cqe;

				while ((cqe = saio_peek_cqe(r))) {
					if (cqe->res != REC) {
						a->err = 1;
						snprintf(a->msg, sizeof(a->msg),
							 "res %d", cqe->res);
					}
					done++;
					saio_cq_advance(a->c, r, 1);
				}
				if (a->c->mode == SAIO_MODE_WORKER)
					saio_wait_cqe(a->c, r, 1000);
			}
			memset(rec, 0, REC);
			memcpy(rec, &seq, 4);
			memcpy(rec + 4, &a->ring, 4);
			seq++;
			s->opcode = SAIO_KOP_WRITE;
			s->fd = a->wfd;
			s->addr = (uintptr_t)rec;
			s->len = REC;
			s->off = SAIO_OFF_CURRENT;
			s->user_data = sent++;
		}
		if (saio_submit(a->c, r) < 0) {
			a->err = 1;
			snprintf(a->msg, sizeof(a->msg), "submit: %s", strerror(errno));
			return NULL;
		}
		/* in worker mode the record buffers must outlive the entries: reap first */
		while (a->c->mode == SAIO_MODE_WORKER && done + 32 < sent) {
			struct saio_cqe *cqe = saio_peek_cqe(r);

			if (!cqe) {
				saio_wait_cqe(a->c, r, 1000);
				continue;
			}
			done++;
			saio_cq_advance(a->c, r, 1);
		}
		while (a->c->mode == SAIO_MODE_ENTER && saio_peek_cqe(r)) {
			done++;
			saio_cq_advance(a->c, r, 1);
		}
	}
	while (done < sent) {
		struct saio_cqe *cqe = saio_peek_cqe(r);

		if (!cqe) {
			if (saio_wait_cqe(a->c, r, 5000000) == -ETIMEDOUT) {
				a->err = 1;
				snprintf(a->msg, sizeof(a->msg), "completion lost");
				return NULL;
			}
			continue;
		}
		done++;
		saio_cq_advance(a->c, r, 1);
	}
	return NULL;
}

void *worker_main(void *p)
{
	struct worker_arg *a = p;

	int again = 0;

	/* a signal, or SAIO_WORKER_AGAIN (deferred work ran on the way out): call again */
	do {
		a->ret = ioctl(a->c->fd, SAIO_IOC_WORKER, &a->w);
		a->err = errno;
		if (a->ret == SAIO_WORKER_AGAIN)
			again = 1;
	} while ((a->ret < 0 && a->err == EINTR) || a->ret == SAIO_WORKER_AGAIN);
	/* A worker out for its task work when STOP came calls again into a torn-down
	 * context: -ESHUTDOWN is how it leaves then, as libsaio's loop takes it. */
	if (again && a->ret < 0 && a->err == ESHUTDOWN)
		a->ret = 0;
	return NULL;
}

int start_workers(struct saio_client *c, struct worker_arg *wa,
			 pthread_t *th, int n, uint32_t idle_us)
{
	int i;

	for (i = 0; i < n; i++) {
		memset(&wa[i], 0, sizeof(wa[i]));
		wa[i].c = c;
		wa[i].w.index = i;
		wa[i].w.idle_us = idle_us;
		pthread_create(&th[i], NULL, worker_main, &wa[i]);
	}
	return 0;
}

int stop_workers(struct saio_client *c, struct worker_arg *wa,
			pthread_t *th, int n)
{
	struct saio_wake w = { .flags = SAIO_WAKE_STOP };
	int i;

	CHECK(ioctl(c->fd, SAIO_IOC_WAKE, &w) == 0, "WAKE STOP");
	for (i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		CHECK(wa[i].ret == 0, "worker %d left with %d (%s)", i, wa[i].ret,
		      strerror(wa[i].err));
	}
	return 0;
}

static int ordering(uint32_t mode, int nr_rings, int nr_workers, int rounds)
{
	struct order_arg a[8];
	pthread_t wt[8], rt[8], kt[8];
	struct worker_arg wa[8];
	struct saio_client c;
	int i, p[2];

	TRY(open_ctx(&c, 64, nr_rings, nr_workers, mode));
	if (mode == SAIO_MODE_WORKER)
		start_workers(&c, wa, kt, nr_workers, 50);
	for (i = 0; i < nr_rings; i++) {
		CHECK(pipe(p) == 0, "pipe");
		fcntl(p[1], F_SETPIPE_SZ, 1 << 16);
		a[i] = (struct order_arg){ .c = &c, .ring = i, .wfd = p[1], .rfd = p[0],
					   .rounds = rounds };
		pthread_create(&rt[i], NULL, order_reader, &a[i]);
		pthread_create(&wt[i], NULL, order_writer, &a[i]);
	}
	for (i = 0; i < nr_rings; i++) {
		pthread_join(wt[i], NULL);
		pthread_join(rt[i], NULL);
		CHECK(!a[i].err, "%s", a[i].msg);
		close(a[i].wfd);
		close(a[i].rfd);
	}
	if (mode == SAIO_MODE_WORKER) {
		TRY(stop_workers(&c, wa, kt, nr_workers));
		for (i = 0; i < nr_rings; i++) {
			struct saio_ring_stats st = { .ring = i };

			ioctl(c.fd, SAIO_IOC_STATS, &st);
			CHECK(st.submitted == (uint64_t)rounds * 16 &&
			      st.worker == (uint32_t)(i % nr_workers),
			      "ring %d stats: %" PRIu64 " via worker %u", i,
			      (uint64_t)st.submitted, st.worker);
		}
	}
	saio_client_close(&c);
	return 0;
}

static int t_order_enter(void)
{
	return ordering(SAIO_MODE_ENTER, 4, 0, 1500);
}

static int t_order_worker(void)
{
	return ordering(SAIO_MODE_WORKER, 4, 2, 1500);
}

/* ---- tests: worker mode -------------------------------------------------------------- */

/* SAIO_IOC_EVENTFD: validation, and a worker's completions signal the eventfd. */
static int t_eventfd(void)
{
	static unsigned char out[4096];
	struct saio_eventfd ev = { .ring = 0 };
	struct worker_arg wa[1];
	struct saio_client c;
	struct saio_uring *r;
	struct saio_cqe cq[4];
	struct pollfd pf;
	pthread_t th[1];
	uint64_t v = 0;
	int efd, efd2, p[2], i;

	TRY(open_ctx(&c, 8, 2, 1, SAIO_MODE_WORKER));
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	efd2 = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	CHECK(efd >= 0 && efd2 >= 0 && pipe(p) == 0, "eventfd/pipe");
	ev.fd = p[0];
	CHECK(ioctl(c.fd, SAIO_IOC_EVENTFD, &ev) < 0 && errno == EINVAL, "a pipe is not an eventfd");
	ev.fd = 1000000;
	CHECK(ioctl(c.fd, SAIO_IOC_EVENTFD, &ev) < 0 && errno == EBADF, "closed fd");
	ev.fd = -1;
	CHECK(ioctl(c.fd, SAIO_IOC_EVENTFD, &ev) < 0 && errno == EBADF, "fd -1");
	ev = (struct saio_eventfd){ .ring = 2, .fd = efd };
	CHECK(ioctl(c.fd, SAIO_IOC_EVENTFD, &ev) < 0 && errno == EINVAL, "ring 2 of 2");
	ev.ring = 0;
	CHECK(ioctl(c.fd, SAIO_IOC_EVENTFD, &ev) == 0, "register: %s", strerror(errno));
	ev.fd = efd2;
	CHECK(ioctl(c.fd, SAIO_IOC_EVENTFD, &ev) < 0 && errno == EBUSY, "second registration");
	close(efd2);

	start_workers(&c, wa, th, 1, 50);
	r = &c.ring[0];
	for (i = 0; i < 50; i++) {
		prep(r, SAIO_KOP_WRITE, p[1], out, sizeof(out), SAIO_OFF_CURRENT, i);
		CHECK(saio_submit(&c, r) >= 0, "submit");
		pf = (struct pollfd){ .fd = efd, .events = POLLIN };
		CHECK(poll(&pf, 1, 5000) == 1, "round %d: eventfd not signalled", i);
		CHECK(read(efd, &v, sizeof(v)) == sizeof(v) && v >= 1, "eventfd count");
		CHECK(reap(&c, r, cq, 4) == 1 && cq[0].res == (int)sizeof(out),
		      "round %d: completion %d", i, cq[0].res);
		CHECK(read(p[0], out, sizeof(out)) == (ssize_t)sizeof(out), "pipe read");
	}
	/* the other ring has no eventfd: its completions do not signal this one */
	prep(&c.ring[1], SAIO_KOP_NOP, -1, NULL, 0, 0, 99);
	CHECK(saio_submit(&c, &c.ring[1]) >= 0, "submit ring 1");
	CHECK(saio_wait_cqe(&c, &c.ring[1], 5000000) == 0, "ring 1 completion");
	CHECK(read(efd, &v, sizeof(v)) < 0 && errno == EAGAIN, "ring 1 signalled ring 0's eventfd");
	TRY(stop_workers(&c, wa, th, 1));
	/* the context holds its reference: closing ours first is fine */
	close(efd);
	close(p[0]);
	close(p[1]);
	saio_client_close(&c);
	return 0;
}

static int t_worker_basic(void)
{
	static unsigned char out[8192], in[8192];
	struct saio_worker_info wi = { .index = 0 };
	struct worker_arg wa[1];
	struct saio_client c;
	struct saio_uring *r;
	struct saio_cqe cq[4];
	pthread_t th[1];
	int p[2], i, got;

	TRY(open_ctx(&c, 8, 2, 1, SAIO_MODE_WORKER));
	CHECK(pipe(p) == 0, "pipe");
	fill_pattern(out, sizeof(out), 9);
	start_workers(&c, wa, th, 1, 100);
	for (i = 0; i < 200 && wi.state == SAIO_WSTATE_OFF; i++) {
		usleep(5000);
		ioctl(c.fd, SAIO_IOC_WORKER_INFO, &wi);
	}
	CHECK(wi.state != SAIO_WSTATE_OFF && wi.tid > 0, "worker not reported");
	CHECK(wi.nr_rings == 2, "worker serves %u rings", wi.nr_rings);
	{
		struct saio_worker w2 = { .index = 0 };
		struct saio_enter e = { .ring = 0 };

		CHECK(ioctl(c.fd, SAIO_IOC_WORKER, &w2) < 0 && errno == EBUSY,
		      "second thread on worker 0");
		w2.index = 1;
		CHECK(ioctl(c.fd, SAIO_IOC_WORKER, &w2) < 0 && errno == EINVAL,
		      "worker index 1 of 1");
		CHECK(ioctl(c.fd, SAIO_IOC_ENTER, &e) < 0 && errno == EINVAL,
		      "ENTER in worker mode");
	}
	/* both rings are served by the one worker */
	for (i = 0; i < 2; i++) {
		r = &c.ring[i];
		prep(r, SAIO_KOP_WRITE, p[1], out + i * 4096, 4096, SAIO_OFF_CURRENT, i);
		CHECK(saio_submit(&c, r) >= 0, "submit");
		CHECK(saio_wait_cqe(&c, r, 5000000) == 0, "no completion on ring %d", i);
		got = reap(&c, r, cq, 4);
		CHECK(got == 1 && cq[0].res == 4096, "ring %d: %d/%d", i, got, cq[0].res);
	}
	CHECK(read_full(p[0], in, sizeof(in)) == sizeof(in) && !memcmp(in, out, sizeof(in)),
	      "bytes differ");
	/* WAIT on an empty ring */
	CHECK(saio_wait_cqe(&c, &c.ring[0], 0) == -EAGAIN, "WAIT 0");
	CHECK(saio_wait_cqe(&c, &c.ring[0], 20000) == -ETIMEDOUT, "WAIT timeout");
	ioctl(c.fd, SAIO_IOC_WORKER_INFO, &wi);
	CHECK(wi.ops == 2, "info ops %" PRIu64, (uint64_t)wi.ops);
	TRY(stop_workers(&c, wa, th, 1));
	ioctl(c.fd, SAIO_IOC_WORKER_INFO, &wi);
	CHECK(wi.state == SAIO_WSTATE_OFF && wi.tid == 0, "worker still reported");
	{
		struct saio_worker w2 = { .index = 0 };

		CHECK(ioctl(c.fd, SAIO_IOC_WORKER, &w2) < 0 && errno == ESHUTDOWN,
		      "WORKER after STOP");
	}
	close(p[0]);
	close(p[1]);
	saio_client_close(&c);
	return 0;
}

static int t_worker_tids(void)
{
	struct worker_arg wa[3];
	struct saio_client c;
	pthread_t th[3];
	int i, j, tids[3];

	TRY(open_ctx(&c, 8, 6, 3, SAIO_MODE_WORKER));
	start_workers(&c, wa, th, 3, 10);
	for (i = 0; i < 3; i++) {
		struct saio_worker_info wi = { .index = i };

		for (j = 0; j < 400; j++) {
			ioctl(c.fd, SAIO_IOC_WORKER_INFO, &wi);
			if (wi.tid)
				break;
			usleep(5000);
		}
		CHECK(wi.tid > 0 && wi.tid != getpid(), "worker %d tid %d", i, wi.tid);
		CHECK(wi.nr_rings == 2, "worker %d serves %u", i, wi.nr_rings);
		tids[i] = wi.tid;
		for (j = 0; j < i; j++)
			CHECK(tids[j] != tids[i], "duplicate tid");
		{
			char path[64];
			struct stat sb;

			snprintf(path, sizeof(path), "/proc/%d/task/%d", getpid(), wi.tid);
			CHECK(stat(path, &sb) == 0, "tid %d is not a thread of ours", wi.tid);
		}
	}
	{
		struct saio_worker_info wi = { .index = 3 };

		CHECK(ioctl(c.fd, SAIO_IOC_WORKER_INFO, &wi) < 0 && errno == EINVAL,
		      "info index 3");
	}
	TRY(stop_workers(&c, wa, th, 3));
	saio_client_close(&c);
	return 0;
}

static int t_worker_pin(void)
{
	struct saio_worker_info wi = { .index = 0 };
	struct worker_arg wa[2];
	struct saio_client c;
	pthread_t th[2];
	cpu_set_t set;
	int i, ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	CHECK(ncpu >= 2, "needs 2 CPUs, have %d", ncpu);
	TRY(open_ctx(&c, 8, 2, 2, SAIO_MODE_WORKER));
	/* bad CPU numbers are refused */
	{
		struct saio_worker w = { .index = 0, .flags = SAIO_WORKER_PIN, .cpu = 64 };

		CHECK(ioctl(c.fd, SAIO_IOC_WORKER, &w) < 0 && errno == EINVAL, "cpu 64");
		w.cpu = -1;
		CHECK(ioctl(c.fd, SAIO_IOC_WORKER, &w) < 0 && errno == EINVAL, "cpu -1");
		w.flags = SAIO_WORKER_PIN | SAIO_WORKER_LOCALIZE;
		w.cpu = 0;
		CHECK(ioctl(c.fd, SAIO_IOC_WORKER, &w) < 0 && errno == EINVAL, "both flags");
		w.flags = 0;
		w.cpu = 1;
		CHECK(ioctl(c.fd, SAIO_IOC_WORKER, &w) < 0 && errno == EINVAL, "cpu without flag");
	}
	/* worker 0 pinned to CPU 1 explicitly */
	memset(wa, 0, sizeof(wa));
	wa[0].c = &c;
	wa[0].w = (struct saio_worker){ .index = 0, .flags = SAIO_WORKER_PIN, .cpu = 1,
					 .idle_us = 10 };
	pthread_create(&th[0], NULL, worker_main, &wa[0]);
	/* ring 1 bound from a thread on CPU 0; worker 1 localized with offset 0 */
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	CHECK(sched_setaffinity(0, sizeof(set), &set) == 0, "setaffinity");
	{
		struct saio_bind b = { .ring = 1 };
		struct saio_ring_stats st = { .ring = 1 };

		CHECK(ioctl(c.fd, SAIO_IOC_BIND, &b) == 0, "BIND");
		ioctl(c.fd, SAIO_IOC_STATS, &st);
		CHECK(st.bound_tid == (int32_t)syscall(SYS_gettid) && st.bound_cpu == 0,
		      "bound %d on %d", st.bound_tid, st.bound_cpu);
		b.ring = 9;
		CHECK(ioctl(c.fd, SAIO_IOC_BIND, &b) < 0 && errno == EINVAL, "BIND ring 9");
	}
	wa[1].c = &c;
	wa[1].w = (struct saio_worker){ .index = 1, .flags = SAIO_WORKER_LOCALIZE,
					 .idle_us = 10 };
	pthread_create(&th[1], NULL, worker_main, &wa[1]);
	for (i = 0; i < 400; i++) {
		struct saio_worker_info w1 = { .index = 1 };

		ioctl(c.fd, SAIO_IOC_WORKER_INFO, &wi);
		ioctl(c.fd, SAIO_IOC_WORKER_INFO, &w1);
		if (wi.pinned_cpu == 1 && wi.cpu == 1 && w1.pinned_cpu == 0 && w1.cpu == 0)
			break;
		usleep(5000);
	}
	CHECK(wi.pinned_cpu == 1 && wi.cpu == 1, "worker 0 pinned %d runs on %d",
	      wi.pinned_cpu, wi.cpu);
	{
		struct saio_worker_info w1 = { .index = 1 };
		char path[64], line[256];
		FILE *f;
		int cpu = -1;

		ioctl(c.fd, SAIO_IOC_WORKER_INFO, &w1);
		CHECK(w1.pinned_cpu == 0 && w1.cpu == 0, "localized worker pinned %d runs on %d",
		      w1.pinned_cpu, w1.cpu);
		/* /proc agrees: field 39 of stat is the CPU */
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", getpid(), wi.tid);
		f = fopen(path, "r");
		if (f && fgets(line, sizeof(line), f)) {
			char *p = strrchr(line, ')');
			int field = 2;

			while (p && *p && field < 39) {
				p = strchr(p + 1, ' ');
				field++;
			}
			if (p)
				cpu = atoi(p + 1);
		}
		if (f)
			fclose(f);
		CHECK(cpu == 1, "/proc says worker 0 runs on CPU %d", cpu);
	}
	TRY(stop_workers(&c, wa, th, 2));
	saio_client_close(&c);
	return 0;
}

/*
 * Submit/complete rounds with a worker that goes to sleep between them:
 * a lost wake-up shows as a completion that never comes. The submitter runs
 * on CPU 0; the worker is pinned to @worker_cpu (0: wake-ups are local and
 * cheap; 1: the two race for real on two CPUs, which under TCG costs a
 * cross-CPU kick per round).
 */
static int wakeup_rounds(int rounds, int worker_cpu, uint64_t *sleeps, int *wakes)
{
	struct saio_worker_info wi = { .index = 0 };
	struct worker_arg wa[1];
	struct saio_client c;
	struct saio_uring *r;
	pthread_t th[1];
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	CHECK(sched_setaffinity(0, sizeof(set), &set) == 0, "setaffinity");
	TRY(open_ctx(&c, 8, 1, 1, SAIO_MODE_WORKER));
	r = &c.ring[0];
	memset(wa, 0, sizeof(wa));
	wa[0].c = &c;
	wa[0].w = (struct saio_worker){ .flags = SAIO_WORKER_PIN, .cpu = worker_cpu,
					 .idle_us = 1 };
	{
		/* the worker may only be pinned where its thread may run: both CPUs */
		pthread_attr_t attr;
		cpu_set_t both;

		CPU_ZERO(&both);
		CPU_SET(0, &both);
		CPU_SET(1, &both);
		pthread_attr_init(&attr);
		pthread_attr_setaffinity_np(&attr, sizeof(both), &both);
		pthread_create(&th[0], &attr, worker_main, &wa[0]);
		pthread_attr_destroy(&attr);
	}
	for (i = 0; i < rounds; i++) {
		struct saio_cqe *cqe;
		int ret;

		CHECK(prep(r, SAIO_KOP_NOP, 0, NULL, 0, 0, i), "SQ full at %d", i);
		ret = saio_submit(&c, r);
		CHECK(ret >= 0, "submit: %s", strerror(-ret));
		*wakes += ret;
		/* vary the timing so the submitter lands in every phase of the worker's idling */
		if ((rnd() & 7) == 0)
			for (volatile int k = rnd() & 1023; k > 0; k--)
				;
		while (!(cqe = saio_peek_cqe(r))) {
			ret = saio_wait_cqe(&c, r, 5000000);
			CHECK(ret == 0 || ret == -EINTR, "round %d: completion lost (%s)",
			      i, strerror(-ret));
		}
		CHECK(cqe->user_data == (uint64_t)i && cqe->res == 0, "round %d: cqe", i);
		saio_cq_advance(&c, r, 1);
	}
	ioctl(c.fd, SAIO_IOC_WORKER_INFO, &wi);
	CHECK(wi.pinned_cpu == worker_cpu, "worker pinned to %d", wi.pinned_cpu);
	TRY(stop_workers(&c, wa, th, 1));
	*sleeps += wi.sleeps;
	saio_client_close(&c);
	return 0;
}

static int t_worker_wakeup(void)
{
	int local = 90000, cross = 10000, wakes = 0;
	uint64_t sleeps = 0, t0 = now_ms(), t1;

	TRY(wakeup_rounds(local, 0, &sleeps, &wakes));
	t1 = now_ms();
	TRY(wakeup_rounds(cross, 1, &sleeps, &wakes));
	fprintf(stderr, "  %d rounds same CPU (%" PRIu64 " ms) + %d rounds across CPUs (%"
		PRIu64 " ms): %d wake-ups needed, worker slept %" PRIu64 " times\n",
		local, t1 - t0, cross, now_ms() - t1, wakes, sleeps);
	CHECK(sleeps > 10000 && wakes > 10000, "sleep path barely exercised: %" PRIu64
	      " sleeps, %d wakes", sleeps, wakes);
	return 0;
}

/* A worker that finds the CQ full stops, sleeps, and resumes once the CQ is reaped. */
static int t_worker_cq_full(void)
{
	struct worker_arg wa[1];
	struct saio_client c;
	struct saio_uring *r;
	struct saio_cqe cq[16];
	pthread_t th[1];
	int i, n = 0, tries;

	CHECK(saio_client_open(&c, 8, 8, 1, 1, SAIO_MODE_WORKER) == 0, "open");
	r = &c.ring[0];
	start_workers(&c, wa, th, 1, 10);
	for (i = 0; i < 8; i++)
		prep(r, SAIO_KOP_NOP, 0, NULL, 0, 0, i);
	saio_submit(&c, r);
	for (tries = 0; tries < 2000 && r->hdr->cq_tail != 8; tries++)
		usleep(1000);
	CHECK(r->hdr->cq_tail == 8, "first 8 not completed");
	for (i = 8; i < 16; i++)
		prep(r, SAIO_KOP_NOP, 0, NULL, 0, 0, i);
	saio_submit(&c, r);
	for (tries = 0; tries < 2000 && (r->hdr->flags & (SAIO_RING_CQ_FULL |
			SAIO_RING_NEED_WAKEUP)) != (SAIO_RING_CQ_FULL | SAIO_RING_NEED_WAKEUP);
	     tries++)
		usleep(1000);
	usleep(20000);
	CHECK(r->hdr->sq_head == 8 && r->hdr->cq_tail == 8, "worker overran a full CQ");
	CHECK((r->hdr->flags & (SAIO_RING_CQ_FULL | SAIO_RING_NEED_WAKEUP)) ==
	      (SAIO_RING_CQ_FULL | SAIO_RING_NEED_WAKEUP), "flags %#x", r->hdr->flags);
	{
		struct saio_ring_stats st = { .ring = 0 };

		/* however long it polled the full CQ, that is one stop */
		ioctl(c.fd, SAIO_IOC_STATS, &st);
		CHECK(st.cq_full == 1 && r->hdr->cq_overflow == 1, "cq_full counted %" PRIu64
		      " times", (uint64_t)st.cq_full);
	}
	/* reaping wakes it (saio_cq_advance) and it carries on with the rest */
	while (n < 16) {
		int got = reap(&c, r, cq + n, 16 - n);

		n += got;
		if (!got)
			CHECK(saio_wait_cqe(&c, r, 5000000) == 0, "stuck at %d completions", n);
	}
	for (i = 0; i < 16; i++)
		CHECK(cq[i].user_data == (uint64_t)i, "order at %d", i);
	TRY(stop_workers(&c, wa, th, 1));
	saio_client_close(&c);
	return 0;
}

/*
 * A worker's CLOSE of the last reference defers the file's release to the thread's
 * return to user space (task_work): the module must go back there (SAIO_WORKER_AGAIN)
 * instead of sitting on it. Seen from outside: the peer of a socket closed without
 * shutdown gets its FIN at once, as after close(2).
 */
static int close_via_worker(struct saio_client *c, int fd, uint64_t ud)
{
	struct saio_uring *r = &c->ring[0];
	struct saio_cqe cq[1];

	CHECK(prep(r, SAIO_KOP_CLOSE, fd, NULL, 0, 0, ud), "SQ full");
	CHECK(saio_submit(c, r) >= 0, "submit");
	CHECK(saio_wait_cqe(c, r, 5000000) == 0, "no completion for the CLOSE");
	CHECK(reap(c, r, cq, 1) == 1 && cq[0].user_data == ud && cq[0].res == 0,
	      "CLOSE: %d", cq[0].res);
	return 0;
}

int t_worker_close_eof(void)
{
	struct worker_arg wa[1];
	struct saio_client c;
	pthread_t th[1];
	int i;

	TRY(open_ctx(&c, 8, 1, 1, SAIO_MODE_WORKER));
	/* the worker spins for a second after each entry: it stays in the kernel */
	start_workers(&c, wa, th, 1, SAIO_MAX_IDLE_US);
	for (i = 0; i < 5; i++) {
		struct pollfd pf;
		uint64_t t0;
		char b;
		int cl, sv, n;

		TRY(tcp_pair(&cl, &sv));
		TRY(close_via_worker(&c, sv, i));
		t0 = now_ms();
		pf = (struct pollfd){ .fd = cl, .events = POLLIN };
		n = poll(&pf, 1, 100);
		CHECK(n == 1, "connection %d: no EOF within 100 ms of the CLOSE completing"
		      " (the server side was not released)", i);
		CHECK(read(cl, &b, 1) == 0, "connection %d: readable but not EOF", i);
		fprintf(stderr, "  connection %d: EOF %" PRIu64 " ms after the completion\n",
			i, now_ms() - t0);
		close(cl);
	}
	TRY(stop_workers(&c, wa, th, 1));
	saio_client_close(&c);
	return 0;
}

/* A listening socket closed by a worker frees its port: it can be bound again. */
int t_worker_close_listener(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	struct worker_arg wa[1];
	struct saio_client c;
	pthread_t th[1];
	uint64_t t0;
	int l, l2, ok = 0;

	TRY(open_ctx(&c, 8, 1, 1, SAIO_MODE_WORKER));
	start_workers(&c, wa, th, 1, SAIO_MAX_IDLE_US);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(l >= 0 && bind(l, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(l, 4) == 0,
	      "listen: %s", strerror(errno));
	CHECK(getsockname(l, (struct sockaddr *)&a, &al) == 0, "getsockname");
	TRY(close_via_worker(&c, l, 1));
	/* no SO_REUSEADDR: bind fails while the old listener lives */
	l2 = socket(AF_INET, SOCK_STREAM, 0);
	t0 = now_ms();
	while (now_ms() - t0 <= 100) {
		if (bind(l2, (struct sockaddr *)&a, sizeof(a)) == 0) {
			ok = 1;
			break;
		}
		CHECK(errno == EADDRINUSE, "bind: %s", strerror(errno));
		usleep(2000);
	}
	CHECK(ok, "port %u still bound 100 ms after the listener's CLOSE completed",
	      ntohs(a.sin_port));
	close(l2);
	TRY(stop_workers(&c, wa, th, 1));
	saio_client_close(&c);
	return 0;
}

struct shared_enter {
	struct saio_client *c;
	pthread_mutex_t *m;
	int wfd, n, err;
};

/* Two threads take turns filling one ring but ENTER it concurrently. */
static void *shared_enter_main(void *p)
{
	struct shared_enter *a = p;
	struct saio_uring *r = &a->c->ring[0];
	struct saio_enter e = { .ring = 0 };
	static const char one_byte = 'x';
	int i;

	for (i = 0; i < a->n; i++) {
		pthread_mutex_lock(a->m);
		struct saio_sqe *s = saio_get_sqe(r);

		if (s) {
			s->opcode = SAIO_KOP_WRITE;
			s->fd = a->wfd;
			s->addr = (uintptr_t)&one_byte;
			s->len = 1;
			s->off = SAIO_OFF_CURRENT;
			saio_store_release(&r->hdr->sq_tail, r->sq_tail);
		}
		/* reap under the lock too: the CQ has one consumer at a time */
		while (saio_peek_cqe(r)) {
			if (saio_peek_cqe(r)->res != 1)
				a->err = 1;
			saio_cq_advance(a->c, r, 1);
		}
		pthread_mutex_unlock(a->m);
		if (ioctl(a->c->fd, SAIO_IOC_ENTER, &e) < 0 && errno != EBUSY)
			a->err = 1;
	}
	return NULL;
}

static int t_enter_shared_ring(void)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	struct shared_enter a[2];
	struct saio_client c;
	struct saio_ring_stats st = { .ring = 0 };
	struct saio_enter e = { .ring = 0 };
	pthread_t th[2];
	char buf[65536];
	int p[2], i, total = 0;
	ssize_t k;

	TRY(open_ctx(&c, 16, 1, 0, SAIO_MODE_ENTER));
	CHECK(pipe2(p, O_NONBLOCK) == 0, "pipe");
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	for (i = 0; i < 2; i++) {
		a[i] = (struct shared_enter){ .c = &c, .m = &m, .wfd = p[1], .n = 5000 };
		pthread_create(&th[i], NULL, shared_enter_main, &a[i]);
	}
	for (i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		CHECK(!a[i].err, "thread %d saw an error", i);
	}
	ioctl(c.fd, SAIO_IOC_ENTER, &e);
	while ((k = read(p[0], buf, sizeof(buf))) > 0)
		total += k;
	ioctl(c.fd, SAIO_IOC_STATS, &st);
	CHECK(st.submitted == 10000 && st.completed == 10000 && st.errors == 0,
	      "stats %" PRIu64 "/%" PRIu64 "/%" PRIu64, (uint64_t)st.submitted,
	      (uint64_t)st.completed, (uint64_t)st.errors);
	CHECK(total == 10000, "%d bytes arrived, not 10000", total);
	close(p[0]);
	close(p[1]);
	saio_client_close(&c);
	return 0;
}

void noop_handler(int sig)
{
	(void)sig;
}

/* ---- registry ------------------------------------------------------------------------ */

struct test {
	const char *name;
	int (*fn)(void);
	int timeout_s;
	bool debug_only;	/* needs the debug kernel (SAIO_DEBUG_KERNEL=1) */
};

static int t_fuzz(void);
static int t_kill9_worker(void);
static int t_exit_queued(void);
static int t_close_self(void);
static int t_not_owner(void);
static int t_worker_leave_signal(void);

static int t_worker_cq_full(void);
static int t_enter_shared_ring(void);

static const struct test tests[] = {
	{ "setup_validation", t_setup_validation, 30, false },
	{ "nop_and_stats", t_nop_and_stats, 30, false },
	{ "write_pipe", t_write_pipe, 30, false },
	{ "write_file", t_write_file, 30, false },
	{ "send_socketpair", t_send_socketpair, 30, false },
	{ "send_tcp", t_send_tcp, 60, false },
	{ "sendmsg_udp", t_sendmsg_udp, 30, false },
	{ "sendfile", t_sendfile, 60, false },
	{ "close_shutdown", t_close_shutdown, 30, false },
	{ "setsockopt", t_setsockopt, 30, false },
	{ "errors_per_entry", t_errors_per_entry, 30, false },
	{ "link_chains", t_link, 30, false },
	{ "short_write", t_short_write, 120, false },
	{ "cq_full", t_cq_full, 30, false },
	{ "bad_tail", t_bad_tail, 30, false },
	{ "close_self", t_close_self, 30, false },
	{ "not_owner", t_not_owner, 30, false },
	{ "enter_shared_ring", t_enter_shared_ring, 120, false },
	{ "order_enter_load", t_order_enter, 180, false },
	{ "worker_basic", t_worker_basic, 60, false },
	{ "worker_eventfd", t_eventfd, 60, false },
	{ "worker_tids", t_worker_tids, 60, false },
	{ "worker_pin_localize", t_worker_pin, 60, false },
	{ "worker_signal", t_worker_leave_signal, 60, false },
	{ "worker_cq_full", t_worker_cq_full, 60, false },
	{ "order_worker_load", t_order_worker, 180, false },
	{ "worker_wakeup_100k", t_worker_wakeup, 300, false },
	{ "worker_close_eof", t_worker_close_eof, 60, false },
	{ "worker_close_listener", t_worker_close_listener, 60, false },
	{ "worker_kill9", t_kill9_worker, 60, false },
	{ "exit_with_queued", t_exit_queued, 60, false },
	{ "owner_scm_rights", t_owner_scm_rights, 60, false },
	{ "owner_fork_mapping", t_owner_fork_mapping, 60, false },
	{ "owner_exec", t_owner_exec, 60, false },
	{ "owner_creds", t_owner_creds, 60, false },
	{ "pidns_tids", t_pidns_tids, 60, false },
	{ "fmode", t_fmode, 30, false },
	{ "group_param", t_group_param, 30, false },
	{ "op_mask", t_op_mask, 30, false },
	{ "ring_memory_accounted", t_ring_memory_accounted, 60, false },
	{ "user_context_cap", t_user_context_cap, 60, false },
	{ "pin_outside_affinity", t_pin_outside_affinity, 60, false },
	{ "pin_outside_cpuset", t_pin_outside_cpuset, 60, false },
	{ "diff_ops", t_diff_ops, 120, false },
	{ "fuzz_procs", t_fuzz_procs, 300, false },
	{ "max_contexts", t_max_contexts, 180, false },
	{ "fuzz_100k", t_fuzz, 400, false },
	/* only on the debug kernel (fault injection) */
	{ "fault_injection", t_fault_injection, 400, true },
};

/* Time limits are this many times longer on the debug kernel (init.sh sets it). */
static unsigned int timeout_scale(void)
{
	const char *e = getenv("SAIO_TIMEOUT_SCALE");
	unsigned int k = e ? (unsigned int)atoi(e) : 1;

	return k ? k : 1;
}

bool debug_kernel(void)
{
	const char *e = getenv("SAIO_DEBUG_KERNEL");

	return e && !strcmp(e, "1");
}

/* ---- tests: worker leaving, process death, ownership -------------------------------- */

int wait_worker_up(struct saio_client *c, uint32_t index, int *tid)
{
	struct saio_worker_info wi = { .index = index };
	int i;

	for (i = 0; i < 1000; i++) {
		ioctl(c->fd, SAIO_IOC_WORKER_INFO, &wi);
		if (wi.tid)
			break;
		usleep(2000);
	}
	CHECK(wi.tid > 0, "worker %u never showed up", index);
	*tid = wi.tid;
	return 0;
}

static void *worker_once(void *p)
{
	struct worker_arg *a = p;

	a->ret = ioctl(a->c->fd, SAIO_IOC_WORKER, &a->w);
	a->err = errno;
	return NULL;
}

static int t_worker_leave_signal(void)
{
	struct sigaction sa = { .sa_handler = noop_handler };
	struct worker_arg wa[1];
	struct saio_client c;
	struct saio_uring *r;
	struct saio_cqe cq[1];
	pthread_t th[1];
	int tid, i;

	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART */
	TRY(open_ctx(&c, 8, 1, 1, SAIO_MODE_WORKER));
	r = &c.ring[0];
	/* a sleeping worker and a spinning worker both leave on a signal */
	for (i = 0; i < 2; i++) {
		memset(wa, 0, sizeof(wa));
		wa[0].c = &c;
		wa[0].w.idle_us = i ? SAIO_MAX_IDLE_US : 1;
		pthread_create(&th[0], NULL, worker_once, &wa[0]);
		TRY(wait_worker_up(&c, 0, &tid));
		usleep(20000);
		syscall(SYS_tgkill, getpid(), tid, SIGUSR1);
		pthread_join(th[0], NULL);
		CHECK(wa[0].ret < 0 && wa[0].err == EINTR, "worker %d left with %d/%s",
		      i, wa[0].ret, strerror(wa[0].err));
	}
	/* and can come back */
	start_workers(&c, wa, th, 1, 10);
	prep(r, SAIO_KOP_NOP, 0, NULL, 0, 0, 42);
	saio_submit(&c, r);
	CHECK(saio_wait_cqe(&c, r, 5000000) == 0, "no completion after re-entry");
	CHECK(reap(&c, r, cq, 1) == 1 && cq[0].user_data == 42, "cqe");
	TRY(stop_workers(&c, wa, th, 1));
	saio_client_close(&c);
	return 0;
}

/* Child: 2 workers; worker 0 blocked in a write to a full pipe, worker 1 spinning. */
static void kill9_child(int ready_fd)
{
	static char big[1 << 20];
	struct worker_arg wa[2];
	struct saio_client c;
	struct saio_uring *r;
	pthread_t th[2];
	int p[2], tid, i;

	if (saio_client_open(&c, 8, 0, 2, 2, SAIO_MODE_WORKER))
		_exit(2);
	if (pipe(p))
		_exit(2);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	while (write(p[1], big, sizeof(big)) > 0)
		;
	fcntl(p[1], F_SETFL, 0);	/* full and blocking */
	memset(wa, 0, sizeof(wa));
	for (i = 0; i < 2; i++) {
		wa[i].c = &c;
		wa[i].w.index = i;
		wa[i].w.idle_us = i ? SAIO_MAX_IDLE_US : 10;
		pthread_create(&th[i], NULL, worker_main, &wa[i]);
	}
	r = &c.ring[0];
	prep(r, SAIO_KOP_WRITE, p[1], big, sizeof(big), SAIO_OFF_CURRENT, 1);
	prep(r, SAIO_KOP_NOP, 0, NULL, 0, 0, 2);	/* stays queued */
	saio_submit(&c, r);
	for (i = 0; i < 2000 && r->hdr->sq_head == 0; i++)
		usleep(2000);
	if (wait_worker_up(&c, 1, &tid))
		_exit(3);
	if (write(ready_fd, r->hdr->sq_head ? "R" : "N", 1) != 1)
		_exit(4);
	for (;;)
		pause();
}

static int t_kill9_worker(void)
{
	int p[2], st, i;
	pid_t pid;
	char b = 0;

	CHECK(pipe(p) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		kill9_child(p[1]);
	}
	close(p[1]);
	CHECK(read(p[0], &b, 1) == 1, "child did not get ready");
	CHECK(b == 'R', "worker never took the blocking entry");
	usleep(50000);
	kill(pid, SIGKILL);
	for (i = 0; i < 1000; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		usleep(10000);
	}
	CHECK(i < 1000, "process with a worker in the kernel did not die in 10 s");
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "status %#x", st);
	close(p[0]);
	/* the device is still fine */
	{
		struct saio_client c;
		int res;

		TRY(open_ctx(&c, 8, 1, 0, SAIO_MODE_ENTER));
		TRY(one(&c, SAIO_KOP_NOP, 0, NULL, 0, 0, 0, 0, &res));
		CHECK(res == 0, "nop after kill");
		saio_client_close(&c);
	}
	return 0;
}

static void exit_child(int kind)
{
	static char big[1 << 20];
	struct worker_arg wa[1];
	struct saio_client c;
	struct saio_uring *r;
	pthread_t th[1];
	int p[2], i;

	if (saio_client_open(&c, 16, 0, 1, kind ? 1 : 0,
			     kind ? SAIO_MODE_WORKER : SAIO_MODE_ENTER))
		_exit(2);
	r = &c.ring[0];
	if (pipe(p))
		_exit(2);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	while (write(p[1], big, sizeof(big)) > 0)
		;
	fcntl(p[1], F_SETFL, 0);
	if (kind == 2) {
		memset(wa, 0, sizeof(wa));
		wa[0].c = &c;
		wa[0].w.idle_us = 10;
		pthread_create(&th[0], NULL, worker_main, &wa[0]);
	}
	/* first a write that blocks (worker: it sits in it), then queued entries */
	prep(r, SAIO_KOP_WRITE, p[1], big, 4096, SAIO_OFF_CURRENT, 0);
	for (i = 1; i < 16; i++)
		prep(r, SAIO_KOP_NOP, 0, NULL, 0, 0, i);
	saio_store_release(&r->hdr->sq_tail, r->sq_tail);
	if (kind == 2) {
		saio_wake_if_needed(&c, r);
		for (i = 0; i < 2000 && r->hdr->sq_head == 0; i++)
			usleep(2000);
	}
	exit(0);	/* exit_group with everything still queued */
}

static int t_exit_queued(void)
{
	int kind, st, i;
	pid_t pid;

	/* 0: ENTER mode, never entered; 1: worker mode, no worker; 2: worker blocked */
	for (kind = 0; kind < 3; kind++) {
		pid = fork();
		if (pid == 0)
			exit_child(kind);
		for (i = 0; i < 1500; i++) {
			if (waitpid(pid, &st, WNOHANG) == pid)
				break;
			usleep(10000);
		}
		if (i == 1500) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
		}
		CHECK(i < 1500, "kind %d: exit hung", kind);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "kind %d: status %#x",
		      kind, st);
	}
	return 0;
}

static int t_close_self(void)
{
	struct saio_client c;
	struct saio_uring *r;
	struct saio_cqe cq[2];
	struct saio_enter e = { 0 };
	int fd, ret;

	TRY(open_ctx(&c, 8, 1, 0, SAIO_MODE_ENTER));
	r = &c.ring[0];
	fd = c.fd;
	/* the entry closes the descriptor the ENTER came through */
	prep(r, SAIO_KOP_CLOSE, fd, NULL, 0, 0, 1);
	prep(r, SAIO_KOP_NOP, 0, NULL, 0, 0, 2);
	saio_store_release(&r->hdr->sq_tail, r->sq_tail);
	ret = ioctl(fd, SAIO_IOC_ENTER, &e);
	CHECK(ret == 2, "ENTER: %d (%s)", ret, strerror(errno));
	CHECK(reap(&c, r, cq, 2) == 2 && cq[0].res == 0 && cq[1].res == 0,
	      "results %d %d", cq[0].res, cq[1].res);
	CHECK(ioctl(fd, SAIO_IOC_ENTER, &e) < 0 && errno == EBADF, "fd still open");
	/* the mapping keeps the ring alive until munmap */
	CHECK(r->hdr->sq_head == 2, "ring memory after close");
	c.fd = -1;
	saio_client_close(&c);
	return 0;
}

static int t_not_owner(void)
{
	struct saio_client c, w;
	int st;
	pid_t pid;

	TRY(open_ctx(&c, 8, 1, 0, SAIO_MODE_ENTER));
	TRY(open_ctx(&w, 8, 1, 1, SAIO_MODE_WORKER));
	pid = fork();
	if (pid == 0) {
		struct saio_enter e = { 0 };
		struct saio_bind b = { 0 };
		struct saio_worker wk = { 0 };
		struct saio_ring_stats s = { 0 };
		int bad = 0;

		bad |= !(ioctl(c.fd, SAIO_IOC_ENTER, &e) < 0 && errno == EPERM);
		bad |= !(ioctl(c.fd, SAIO_IOC_BIND, &b) < 0 && errno == EPERM) << 1;
		bad |= !(ioctl(w.fd, SAIO_IOC_WORKER, &wk) < 0 && errno == EPERM) << 2;
		bad |= !(ioctl(c.fd, SAIO_IOC_STATS, &s) == 0) << 3;
		_exit(bad);
	}
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child of the owner: mask %d",
	      WEXITSTATUS(st));
	saio_client_close(&c);
	saio_client_close(&w);
	return 0;
}

/* ---- fuzz ------------------------------------------------------------------------------ */

#define FZ_CTXFD	500	/* the context, as entries may target it */
#define FZ_CTXFD2	501	/* a second reference the workers and STOP use */
#define FZ_ERRFD	600	/* saved stderr */
#define FZ_POOL		10	/* descriptors 10..(10 + FZ_NPOOL - 1) */
#define FZ_NPOOL	14
#define FZ_BUF		65536
#define FZ_FILE		"/tmp/fz/file"

struct fz {
	struct saio_client c;
	int mode, nworkers;
	pthread_t wt[4];
	atomic_int stop;
	unsigned char *buf;	/* FZ_BUF bytes, guard pages around */
	unsigned char *guard;
	unsigned long iters, sqes, ioctls, ctxs, enter_err, hist[8];
	bool dirty;		/* a CLOSE was submitted: check the pool */
	uint64_t t_pool, t_ctx, t_ioctl, t_round, t_enter, t_tcp, t_drain;
	unsigned long n_tcp, n_rebuild, n_slot[FZ_NPOOL + 3];
};

uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static struct fz F;

static void fz_pair(int a, int b, int kind)
{
	int p[2] = { -1, -1 };

	close(a);
	close(b);
	if (kind == 0) {
		if (pipe2(p, O_NONBLOCK))
			return;
	} else if (kind == 1) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p))
			return;
	} else {
		if (tcp_pair(&p[0], &p[1]))
			return;
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		fcntl(p[1], F_SETFL, O_NONBLOCK);
	}
	/* the new descriptors may already carry the numbers a and b */
	if (p[1] == a) {
		int t = dup(p[1]);

		close(p[1]);
		p[1] = t;
	}
	if (p[0] != a) {
		dup2(p[0], a);
		close(p[0]);
	}
	if (p[1] != b) {
		dup2(p[1], b);
		close(p[1]);
	}
}

static int fz_open(int want, const char *path, int flags)
{
	int fd = open(path, flags, 0600);

	if (fd >= 0 && fd != want) {
		dup2(fd, want);
		close(fd);
	}
	return 0;
}

static bool fz_closed(int fd)
{
	return fcntl(fd, F_GETFD) < 0;
}

/* Recreate whatever entries closed; one poll() tells which (POLLNVAL). */
static void fz_pool(void)
{
	struct pollfd pfd[FZ_NPOOL + 3];
	bool bad[FZ_NPOOL + 3] = { false };
	struct stat sb;
	int i;

	for (i = 0; i < FZ_NPOOL + 3; i++) {
		pfd[i].fd = i < 3 ? i : FZ_POOL + i - 3;
		pfd[i].events = 0;
	}
	if (poll(pfd, FZ_NPOOL + 3, 0) > 0)
		for (i = 0; i < FZ_NPOOL + 3; i++)
			bad[i] = pfd[i].revents & POLLNVAL;
#define BAD(n) bad[(n) + 3]
	if (BAD(0) || BAD(1))
		fz_pair(FZ_POOL + 0, FZ_POOL + 1, 0);
	if (BAD(2) || BAD(3))
		fz_pair(FZ_POOL + 2, FZ_POOL + 3, 1);
	if (BAD(4) || BAD(5)) {
		uint64_t t = now_us();

		fz_pair(FZ_POOL + 4, FZ_POOL + 5, 2);
		F.t_tcp += now_us() - t;
		F.n_tcp++;
	}
	for (i = 0; i < FZ_NPOOL + 3; i++) {
		F.n_rebuild += bad[i];
		F.n_slot[i] += bad[i];
	}
	if (BAD(6))
		fz_open(FZ_POOL + 6, FZ_FILE, O_RDWR | O_CREAT);
	if (BAD(7))
		fz_open(FZ_POOL + 7, FZ_FILE, O_RDONLY | O_CREAT);
	if (BAD(8))
		fz_open(FZ_POOL + 8, FZ_FILE, O_WRONLY | O_APPEND | O_CREAT);
	if (BAD(9)) {
		int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

		if (s >= 0 && s != FZ_POOL + 9) {
			dup2(s, FZ_POOL + 9);
			close(s);
		}
	}
	if (BAD(10))
		fz_open(FZ_POOL + 10, "/proc/self/stat", O_RDONLY);
	if (BAD(11))
		fz_open(FZ_POOL + 11, "/dev/zero", O_RDONLY);
	if (BAD(12))
		fz_open(FZ_POOL + 12, "/tmp/fz", O_RDONLY | O_DIRECTORY);
	if (BAD(13))
		fz_open(FZ_POOL + 13, FZ_FILE, O_RDWR | O_NONBLOCK);
#undef BAD
	for (i = 0; i < 3; i++)
		if (bad[i])
			dup2(FZ_POOL + 1, i);	/* stdio: the pipe's write end */
	if (F.iters & 15)
		return;
	/* keep the file small and the buffers drained */
	if (fstat(FZ_POOL + 6, &sb) == 0 && sb.st_size > (1 << 20))
		ftruncate(FZ_POOL + 6, FZ_BUF);
	{
		static char sink[65536];
		uint64_t t = now_us();


		while (read(FZ_POOL + 0, sink, sizeof(sink)) > 0)
			;
		while (read(FZ_POOL + 3, sink, sizeof(sink)) > 0)
			;
		while (read(FZ_POOL + 5, sink, sizeof(sink)) > 0)
			;
		while (read(FZ_POOL + 2, sink, sizeof(sink)) > 0)
			;
		F.t_drain += now_us() - t;
	}
}

static int fz_fd(void)
{
	uint64_t x = rnd() % 64;

	if (x == 0)
		return FZ_CTXFD;
	if (x < 3)
		return -1 - (int)(rnd() % 3);
	if (x < 5)
		return (int)rnd();
	if (x < 8)
		return rnd() % 3;
	if (x < 10)
		return 30 + rnd() % 10;	/* not open */
	return FZ_POOL + rnd() % FZ_NPOOL;
}

static uint64_t fz_addr(void)
{
	switch (rnd() % 12) {
	case 0:
		return 0;
	case 1:
		return 0xffffffff81000000ULL + (rnd() & 0xffffff);
	case 2:
		return 0xffff888000000000ULL + (rnd() & 0xfffffff);
	case 3:
		return rnd();
	case 4:
		return (uintptr_t)F.guard + (rnd() & 4095);
	case 5:
		return (uintptr_t)F.c.mem + rnd() % F.c.mem_bytes;
	case 6:
		return (uintptr_t)F.buf + FZ_BUF - (rnd() & 255);
	default:
		return (uintptr_t)F.buf + rnd() % FZ_BUF;
	}
}

static uint32_t fz_len(void)
{
	switch (rnd() % 8) {
	case 0:
		return 0;
	case 1:
		return rnd();
	case 2:
		return 0xffffffffu;
	case 3:
		return 0x7fffffffu;
	case 4:
		return rnd() % 70000;
	default:
		return rnd() % 3000;
	}
}

/* Random iovec arrays and msghdrs at the start of the buffer. */
static void fz_structs(void)
{
	struct iovec *iov = (struct iovec *)F.buf;
	struct msghdr *mh = (struct msghdr *)(F.buf + 2048);
	int i;

	for (i = 0; i < 64; i++) {
		iov[i].iov_base = (void *)(uintptr_t)fz_addr();
		iov[i].iov_len = rnd() % 4 ? rnd() % 5000 : rnd();
	}
	for (i = 0; i < 8; i++) {
		memset(&mh[i], 0, sizeof(mh[i]));
		mh[i].msg_iov = &iov[rnd() % 64];
		mh[i].msg_iovlen = rnd() % 4 ? rnd() % 8 : rnd();
		if (rnd() % 4 == 0) {
			mh[i].msg_name = (void *)(uintptr_t)fz_addr();
			mh[i].msg_namelen = rnd() % 2 ? 16 : (int)rnd();
		}
		if (rnd() % 8 == 0) {
			mh[i].msg_control = (void *)(uintptr_t)fz_addr();
			mh[i].msg_controllen = rnd() % 64;
		}
	}
}

static void fz_sqe(struct saio_sqe *s)
{
	s->opcode = rnd() % 5 ? rnd() % SAIO_KOP_LAST : (uint8_t)rnd();
	s->flags = rnd() % 8 ? 0 : (rnd() % 3 ? SAIO_SQE_LINK : (uint8_t)rnd());
	s->__pad0 = rnd() % 20 ? 0 : (uint16_t)rnd();
	s->fd = fz_fd();
	switch (rnd() % 6) {
	case 0:
		s->off = SAIO_OFF_CURRENT;
		break;
	case 1:
		s->off = 0;
		break;
	case 2:
		s->off = rnd();
		break;
	case 3:
		s->off = rnd() % 4 ? 1 : (uint64_t)-2;
		break;
	default:
		s->off = rnd() % 100000;
	}
	if ((s->opcode == SAIO_KOP_WRITEV || s->opcode == SAIO_KOP_SENDMSG) && rnd() % 4) {
		s->addr = s->opcode == SAIO_KOP_WRITEV ?
			  (uintptr_t)F.buf + (rnd() % 64) * sizeof(struct iovec) :
			  (uintptr_t)F.buf + 2048 + (rnd() % 8) * sizeof(struct msghdr);
		s->len = rnd() % 4 ? rnd() % 70 : fz_len();
	} else {
		s->addr = fz_addr();
		s->len = fz_len();
	}
	switch (rnd() % 4) {
	case 0:
		s->op_flags = 0;
		break;
	case 1:
		s->op_flags = rnd() % 4;
		break;
	case 2:
		s->op_flags = (uint32_t)rnd() & (MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE |
						 MSG_OOB | MSG_EOR | MSG_ZEROCOPY);
		break;
	default:
		s->op_flags = rnd();
	}
	s->user_data = rnd();
	s->fd_in = rnd() % 4 ? FZ_POOL + 6 + rnd() % 2 : fz_fd();
	s->__pad1 = rnd() % 20 ? 0 : (uint32_t)rnd();
	s->__resv[0] = rnd() % 40 ? 0 : rnd();
	s->__resv[1] = rnd() % 40 ? 0 : rnd();
}

static void *fz_worker(void *p)
{
	struct saio_worker w = { .index = (uint32_t)(uintptr_t)p };

	while (!atomic_load(&F.stop)) {
		switch (rnd() % 4) {
		case 0:
			w.flags = SAIO_WORKER_PIN;
			w.cpu = rnd() % 2;
			break;
		case 1:
			w.flags = SAIO_WORKER_LOCALIZE;
			w.cpu = (int)(rnd() % 5) - 2;
			break;
		default:
			w.flags = 0;
			w.cpu = 0;
		}
		w.idle_us = rnd() % 40;
		if (ioctl(FZ_CTXFD2, SAIO_IOC_WORKER, &w) < 0 && errno != EINTR)
			usleep(200);
	}
	return NULL;
}

static void fz_ctx_down(void)
{
	struct saio_wake w = { .flags = SAIO_WAKE_STOP };
	int i;

	atomic_store(&F.stop, 1);
	ioctl(FZ_CTXFD2, SAIO_IOC_WAKE, &w);
	/*
	 * A worker may sit in an entry that blocks (a descriptor number the
	 * entry named was, by then, a blocking socket the harness had just
	 * made): a signal gets it out, as it would a server's worker.
	 */
	for (i = 0; i < F.nworkers; i++)
		while (pthread_tryjoin_np(F.wt[i], NULL)) {
			pthread_kill(F.wt[i], SIGUSR1);
			usleep(1000);
		}
	F.nworkers = 0;
	if (F.c.mem)
		munmap(F.c.mem, F.c.mem_bytes);
	F.c.mem = NULL;
	close(FZ_CTXFD);
	close(FZ_CTXFD2);
}

static int fz_ctx_up(void)
{
	uint32_t sq = 1u << (rnd() % 7), rings = 1 + rnd() % 4, cq, nw = 0, mode;
	sigset_t set, old;
	int ret, i;

	fz_ctx_down();
	/* sometimes invalid parameters first: they must just fail */
	if (rnd() % 4 == 0) {
		ret = saio_client_open(&F.c, (uint32_t)rnd() % 10000, (uint32_t)rnd() % 20000,
				       rnd() % 70, rnd() % 70, rnd() % 3);
		if (!ret)
			saio_client_close(&F.c);
	}
	cq = rnd() % 2 ? 0 : sq << (rnd() % 3);
	mode = rnd() % 10 < 3 ? SAIO_MODE_WORKER : SAIO_MODE_ENTER;
	if (mode == SAIO_MODE_WORKER)
		nw = 1 + rnd() % rings;
	ret = saio_client_open(&F.c, sq, cq, rings, nw, mode);
	CHECK(ret == 0, "fuzz setup sq %u cq %u rings %u workers %u: %s", sq, cq,
	      rings, nw, strerror(-ret));
	dup2(F.c.fd, FZ_CTXFD);
	dup2(F.c.fd, FZ_CTXFD2);
	close(F.c.fd);
	F.c.fd = FZ_CTXFD;
	F.mode = mode;
	F.ctxs++;
	atomic_store(&F.stop, 0);
	/* workers do not take the interval signal: it is aimed at the main thread */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	for (i = 0; i < (int)nw; i++)
		pthread_create(&F.wt[i], NULL, fz_worker, (void *)(uintptr_t)i);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	F.nworkers = nw;
	return 0;
}

static void fz_random_ioctl(void)
{
	static const unsigned long cmds[] = {
		SAIO_IOC_SETUP, SAIO_IOC_ENTER, SAIO_IOC_WORKER, SAIO_IOC_WAKE,
		SAIO_IOC_STATS, SAIO_IOC_WORKER_INFO, SAIO_IOC_BIND, SAIO_IOC_WAIT,
		SAIO_IOC_EVENTFD,
	};
	uint64_t arg[16];
	unsigned long cmd;
	void *p;
	int i;

	for (i = 0; i < 16; i++)
		arg[i] = rnd() % 3 ? rnd() % 8 : rnd();
	if (rnd() % 3 == 0)
		arg[0] &= 0xffffffff0000ffffULL;	/* small ring/index, some flags */
	switch (rnd() % 4) {
	case 0:
		cmd = (unsigned long)rnd();
		break;
	case 1:
		cmd = _IOC(rnd() % 4, SAIO_IOC_MAGIC, rnd() % 16, rnd() % 256);
		break;
	default:
		cmd = cmds[rnd() % 8];
	}
	/* no STOP here most of the time, it ends the context */
	if (cmd == SAIO_IOC_WAKE && rnd() % 8)
		arg[0] &= ~((uint64_t)SAIO_WAKE_STOP << 32);
	switch (rnd() % 10) {
	case 0:
		p = NULL;
		break;
	case 1:
		p = (void *)0xffffffff81000000UL;
		break;
	case 2:
		p = F.guard;
		break;
	case 3:
		p = (void *)(uintptr_t)rnd();
		break;
	case 4:
		p = F.buf + FZ_BUF - 4;	/* straddles the guard page */
		memcpy(p, arg, 4);
		break;
	default:
		p = arg;
	}
	F.ioctls++;
	ioctl(rnd() % 8 ? FZ_CTXFD : FZ_CTXFD2, cmd, p);
}

static void fz_round(void)
{
	struct saio_uring *r = &F.c.ring[rnd() % F.c.p.nr_rings];
	struct saio_enter e = { .ring = r->index };
	uint32_t k = 1 + rnd() % (2 * r->sq_entries), i, saved_head = 0, scribble = 0;
	uint32_t head, tail;
	bool enter = F.mode == SAIO_MODE_ENTER;

	fz_structs();
	for (i = 0; i < k; i++) {
		struct saio_sqe *s = saio_get_sqe(r);

		if (!s)
			break;
		fz_sqe(s);
		/* closing the pool costs a rebuild: mostly aim elsewhere */
		if (s->opcode == SAIO_KOP_CLOSE && rnd() % 8)
			s->fd = rnd() % 2 ? 30 + (int)(rnd() % 10) : -1;
		if (s->opcode == SAIO_KOP_CLOSE)
			F.dirty = true;
		F.sqes++;
	}
	saio_store_release(&r->hdr->sq_tail, r->sq_tail);
	if (enter) {
		switch (rnd() % 20) {
		case 0:	/* a tail user space made up */
			r->hdr->sq_tail = rnd() % 3 ? r->sq_tail + (uint32_t)(rnd() % 64) :
						       (uint32_t)rnd();
			break;
		case 1:	/* kernel-owned fields scribbled over */
			saved_head = r->hdr->sq_head;
			scribble = (uint32_t)rnd();
			r->hdr->sq_head = scribble;
			r->hdr->cq_tail = (uint32_t)rnd();
			r->hdr->flags = (uint32_t)rnd();
			r->hdr->sq_entries = (uint32_t)rnd();
			break;
		case 2:
			r->hdr->cq_head = (uint32_t)rnd();
			break;
		}
		e.to_submit = rnd() % 4 ? 0 : (uint32_t)rnd() % 40;
		if (rnd() % 50 == 0)
			e.flags = 1;
		uint64_t t = now_us();

		if (ioctl(FZ_CTXFD, SAIO_IOC_ENTER, &e) < 0)
			F.enter_err++;
		F.t_enter += now_us() - t;
		if (scribble && r->hdr->sq_head == scribble)
			r->hdr->sq_head = saved_head;
		/* take back whatever was not consumed */
		r->sq_tail = r->hdr->sq_head;
		r->hdr->sq_tail = r->sq_tail;
	} else {
		if (rnd() % 20 == 0)
			r->hdr->cq_head = (uint32_t)rnd();
		saio_wake_if_needed(&F.c, r);
		if (rnd() % 4 == 0) {
			struct saio_wait w = { .ring = r->index, .timeout_us = rnd() % 300 };

			ioctl(FZ_CTXFD, SAIO_IOC_WAIT, &w);
		}
	}
	/* reap everything, counting results */
	tail = saio_load_acquire(&r->hdr->cq_tail);
	head = r->hdr->cq_head;
	if (tail - head <= r->cq_entries) {
		for (; head != tail; head++) {
			int res = r->cqes[head & r->cq_mask].res;

			F.hist[res >= 0 ? 0 : res == -EINVAL ? 1 : res == -EBADF ? 2 :
			       res == -EFAULT ? 3 : res == -ECANCELED ? 4 :
			       res == -EAGAIN ? 5 : res == -ENOTSOCK ? 6 : 7]++;
		}
	}
	saio_store_release(&r->hdr->cq_head, tail);
	if (!enter)
		saio_wake_if_needed(&F.c, r);
}

/* Dump where every thread is if the loop stops making progress. */
static void *fz_watchdog(void *p)
{
	unsigned long last = (unsigned long)-1;
	int still = 0;

	for (;;) {
		sleep(1);
		if (F.iters != last) {
			last = F.iters;
			still = 0;
			continue;
		}
		if (++still < 20)
			continue;
		dprintf(FZ_ERRFD, "  fuzz stuck at iteration %lu (mode %d, %d workers)\n",
			F.iters, F.mode, F.nworkers);
		{
			static const char *const what[] = { "wchan", "stat", "stack" };
			char path[300], buf[4096];
			struct dirent *de;
			DIR *d = opendir("/proc/self/task");
			int i, fd;
			ssize_t n;

			while (d && (de = readdir(d))) {
				if (de->d_name[0] == '.')
					continue;
				dprintf(FZ_ERRFD, "  == thread %s\n", de->d_name);
				for (i = 0; i < 3; i++) {
					snprintf(path, sizeof(path), "/proc/self/task/%s/%s",
						 de->d_name, what[i]);
					fd = open(path, O_RDONLY);
					n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
					if (fd >= 0)
						close(fd);
					buf[n > 0 ? n : 0] = 0;
					dprintf(FZ_ERRFD, "  %s: %s\n", what[i], buf);
				}
			}
		}
		_exit(9);
	}
	return NULL;
}

static int t_fuzz(void)
{
	struct sigaction sa = { .sa_handler = noop_handler };
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR2 };
	struct itimerspec its = { { 0, 10000000 }, { 0, 10000000 } };
	unsigned long n = 100000;
	char *env = getenv("SAIO_FUZZ_ITERS");
	timer_t tm;
	unsigned char *m;
	uint64_t t0 = now_ms();

	if (env)
		n = strtoul(env, NULL, 10);
	rng_state ^= (uint64_t)time(NULL) * 2654435761u;
	fprintf(stderr, "  fuzz seed %" PRIu64 "\n", rng_state);
	dup2(2, FZ_ERRFD);
	mkdir("/tmp/fz", 0700);
	mount("tmpfs", "/tmp/fz", "tmpfs", 0, "size=16m");
	m = mmap(NULL, FZ_BUF + 2 * 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED, "mmap");
	mprotect(m, 4096, PROT_NONE);
	mprotect(m + 4096 + FZ_BUF, 4096, PROT_NONE);
	F.guard = m;
	F.buf = m + 4096;
	fz_pool();
	/* entries may write to 0..2: never to the (slow) console */
	dup2(FZ_POOL + 1, 0);
	dup2(FZ_POOL + 1, 1);
	dup2(FZ_POOL + 1, 2);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	CHECK(timer_create(CLOCK_MONOTONIC, &sev, &tm) == 0, "timer_create");
	timer_settime(tm, 0, &its, NULL);
	TRY(fz_ctx_up());
	{
		pthread_t wd;
		sigset_t set, old;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR2);
		pthread_sigmask(SIG_BLOCK, &set, &old);
		pthread_create(&wd, NULL, fz_watchdog, NULL);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}

	for (F.iters = 0; F.iters < n; F.iters++) {
		/* worker-mode entries may still run: check every so often too */
		uint64_t t = now_us();

		if (F.dirty || (F.iters & 15) == 0)
			fz_pool();
		F.dirty = false;
		F.t_pool += now_us() - t;
		t = now_us();
		if (fz_closed(FZ_CTXFD) || fz_closed(FZ_CTXFD2) || rnd() % 500 == 0)
			TRY(fz_ctx_up());
		F.t_ctx += now_us() - t;
		t = now_us();
		if (rnd() % 10 == 0) {
			fz_random_ioctl();
			F.t_ioctl += now_us() - t;
			continue;
		}
		fz_round();
		F.t_round += now_us() - t;
		if (F.mode == SAIO_MODE_ENTER && rnd() % 64 == 0) {
			struct saio_enter e = { .ring = 0 };

			/* a STOPped context: start again */
			if (ioctl(FZ_CTXFD, SAIO_IOC_ENTER, &e) < 0 && errno == ESHUTDOWN)
				TRY(fz_ctx_up());
		}
	}
	timer_delete(tm);
	fz_ctx_down();
	dprintf(FZ_ERRFD, "  fuzz: %lu iterations in %" PRIu64 " ms, %lu contexts, %lu SQEs, "
		"%lu random ioctls, %lu failed ENTERs\n", F.iters, now_ms() - t0, F.ctxs,
		F.sqes, F.ioctls, F.enter_err);
	dprintf(FZ_ERRFD, "  fuzz time (ms): pool %" PRIu64 ", contexts %" PRIu64
		", random ioctls %" PRIu64 ", rounds %" PRIu64 " (ENTER %" PRIu64 ")\n",
		F.t_pool / 1000, F.t_ctx / 1000, F.t_ioctl / 1000, F.t_round / 1000,
		F.t_enter / 1000);
	dprintf(FZ_ERRFD, "  fuzz pool: %lu descriptors rebuilt, %lu TCP pairs (%" PRIu64
		" ms), drains %" PRIu64 " ms\n", F.n_rebuild, F.n_tcp, F.t_tcp / 1000,
		F.t_drain / 1000);
	for (int i = 0; i < FZ_NPOOL + 3; i++)
		dprintf(FZ_ERRFD, " %lu", F.n_slot[i]);
	dprintf(FZ_ERRFD, "\n");
	dprintf(FZ_ERRFD, "  fuzz results: ok %lu, EINVAL %lu, EBADF %lu, EFAULT %lu, "
		"ECANCELED %lu, EAGAIN %lu, ENOTSOCK %lu, other %lu\n", F.hist[0], F.hist[1],
		F.hist[2], F.hist[3], F.hist[4], F.hist[5], F.hist[6], F.hist[7]);
	return 0;
}

/* ---- main ------------------------------------------------------------------------------- */

#define MSGFD 601

static int run_test(const struct test *t)
{
	uint64_t t0 = now_ms();
	char msg[600] = "";
	int p[2], st;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_NONBLOCK))
		return -1;
	pid = fork();
	if (pid == 0) {
		int ret;

		setpgid(0, 0);
		close(p[0]);
		dup2(p[1], MSGFD);
		close(p[1]);
		alarm(t->timeout_s * timeout_scale());
		ret = t->fn();
		if (ret)
			write(MSGFD, fail_msg, strlen(fail_msg));
		_exit(ret ? 1 : 0);
	}
	close(p[1]);
	waitpid(pid, &st, 0);
	/* whatever the test forked and left behind goes with it */
	kill(-pid, SIGKILL);
	n = read(p[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = 0;
	close(p[0]);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		printf("PASS: %s (%" PRIu64 " ms)\n", t->name, now_ms() - t0);
		return 0;
	}
	if (WIFSIGNALED(st))
		snprintf(msg, sizeof(msg), "killed by signal %d%s", WTERMSIG(st),
			 WTERMSIG(st) == SIGALRM ? " (timeout)" : "");
	printf("FAIL: %s: %s\n", t->name, msg[0] ? msg : "failed");
	return -1;
}

static int quick(void)
{
	struct saio_client c;
	int res;

	TRY(open_ctx(&c, 8, 1, 0, SAIO_MODE_ENTER));
	TRY(one(&c, SAIO_KOP_NOP, 0, NULL, 0, 0, 0, 0, &res));
	CHECK(res == 0, "nop");
	saio_client_close(&c);
	return 0;
}

int main(int argc, char **argv)
{
	size_t i, nt = sizeof(tests) / sizeof(tests[0]);
	int pass = 0, fail = 0, a;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		fprintf(stderr, "usage: %s all|list|quick|hold S|holdmap S|exec-probe E W V|NAME...\n", argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "list")) {
		for (i = 0; i < nt; i++)
			if (!tests[i].debug_only || debug_kernel())
				printf("%s\n", tests[i].name);
		return 0;
	}
	if (!strcmp(argv[1], "exec-probe"))
		return exec_probe(argc, argv);
	if (!strcmp(argv[1], "quick")) {
		if (quick()) {
			fprintf(stderr, "quick: %s\n", fail_msg);
			return 1;
		}
		return 0;
	}
	if (!strcmp(argv[1], "hold") || !strcmp(argv[1], "holdmap")) {
		struct saio_client c;
		int secs = argc > 2 ? atoi(argv[2]) : 10;

		if (saio_client_open(&c, 8, 0, 1, 0, SAIO_MODE_ENTER))
			return 1;
		if (!strcmp(argv[1], "holdmap")) {
			close(c.fd);	/* only the mapping keeps the device busy */
			c.fd = -1;
		}
		printf("holding\n");
		sleep(secs);
		return 0;
	}
	for (i = 0; i < nt; i++) {
		bool want = !strcmp(argv[1], "all") &&
			    (!tests[i].debug_only || debug_kernel());

		for (a = 1; a < argc && !want; a++)
			want = !strcmp(argv[a], tests[i].name);
		if (!want)
			continue;
		if (run_test(&tests[i]))
			fail++;
		else
			pass++;
	}
	printf("saio_test: %d passed, %d failed\n", pass, fail);
	return fail ? 1 : 0;
}
