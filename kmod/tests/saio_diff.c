// SPDX-License-Identifier: MIT
/*
 * Every operation against the system call it stands for (guest test "diff_ops"). Each
 * case builds the same fixture twice — descriptors in the same state — runs the
 * system call on one and the module's entry on the other, and compares the results
 * (the return value or -errno) and what can be seen from outside afterwards: the
 * descriptors' file positions, a file's size, the bytes waiting at a peer. The
 * system call is the oracle, not our reading of the man pages.
 *
 * Outside the comparison, by design (README, "Errors"): send flags other than
 * MSG_OOB/DONTROUTE/DONTWAIT/EOR/NOSIGNAL/MORE/CONFIRM, msg_control, and
 * SETSOCKOPT options other than TCP_CORK/TCP_NODELAY.
 */
#include "saio_test.h"

#include <sys/sendfile.h>

#define BUF_BYTES (1 << 20)	/* followed by a guard page */

static unsigned char *dbuf;	/* BUF_BYTES of pattern, then PROT_NONE */

enum fixture {
	FX_PIPE,		/* write end of a pipe (1 MiB capacity), nonblocking */
	FX_PIPE_FULL,		/* ... filled up */
	FX_PIPE_READ_END,	/* the read end */
	FX_PIPE_NO_READER,	/* write end, read end closed */
	FX_FILE,		/* regular file, O_RDWR, 4 KiB of data, position 100 */
	FX_FILE_RDONLY,
	FX_FILE_APPEND,
	FX_FILE_OPATH,
	FX_DIR,
	FX_DEVNULL,
	FX_EVENTFD,
	FX_CLOSED,		/* a number that was just closed */
	FX_MINUS1,
	FX_HUGE,		/* INT_MAX */
	FX_UNIX,		/* connected AF_UNIX stream pair, nonblocking */
	FX_UNIX_FULL,		/* ... its send buffer full */
	FX_UNIX_PEER_CLOSED,
	FX_UNIX_DGRAM,		/* unconnected AF_UNIX datagram */
	FX_TCP,			/* connected TCP pair over loopback, nonblocking */
	FX_TCP_BLOCKING,	/* the same, blocking (the peer has room) */
	FX_TCP_FULL,		/* small buffers, the peer not reading, filled */
	FX_TCP_RST,		/* the peer closed with SO_LINGER 0: an RST arrived */
	FX_TCP_SHUT_WR,		/* after shutdown(SHUT_WR) */
	FX_TCP_UNCONNECTED,
	FX_TCP_LISTENER,
	FX_UDP,			/* unconnected UDP; slot 1 a bound receiver */
	FX_UDP_CONNECTED,	/* connected to the receiver */
	/* SENDFILE: slot 0 the output, slot 1 the input (a 64 KiB file at 100) */
	FX_SF_PIPE,		/* out: pipe */
	FX_SF_UNIX,		/* out: AF_UNIX stream */
	FX_SF_FILE,		/* out: regular file */
	FX_SF_APPEND,		/* out: O_APPEND file */
	FX_SF_OUT_RDONLY,	/* out: O_RDONLY file */
	FX_SF_IN_WRONLY,	/* in: opened write-only */
	FX_SF_IN_PIPE,		/* in: a pipe with 1000 bytes in it */
	FX_SF_IN_OPATH,
	FX_SF_IN_DIR,
	FX_SF_IN_CLOSED,
	FX_COUNT
};

static const char *const fx_names[FX_COUNT] = {
	"pipe", "full pipe", "pipe read end", "pipe without reader", "file", "read-only file",
	"O_APPEND file", "O_PATH file", "directory", "/dev/null", "eventfd", "closed fd",
	"fd -1", "fd INT_MAX", "unix stream", "full unix stream", "unix stream, peer closed",
	"unconnected unix dgram", "tcp", "blocking tcp", "full tcp", "tcp after RST",
	"tcp after SHUT_WR", "unconnected tcp", "listening tcp", "udp", "connected udp",
	"sendfile to pipe", "sendfile to unix", "sendfile to file", "sendfile to O_APPEND",
	"sendfile to read-only", "sendfile from write-only", "sendfile from pipe",
	"sendfile from O_PATH", "sendfile from directory", "sendfile from closed fd",
};

struct fx {
	int fd[2];		/* slot 0: the entry's fd; slot 1: fd_in, or the peer */
	int extra[2];		/* kept open for the fixture's life */
	char path[64];		/* a file we made */
	char path2[64];
};

/*
 * A descriptor number that was open and is closed now. A fixed one: a number freed by
 * one fixture would be reused by the next fixture's descriptors.
 */
static int closed_fd(void)
{
	dup2(0, 900);
	close(900);
	return 900;
}

/* Fill until a pass 50 ms after the last writes nothing: acks (delayed up to 40 ms) free room. */
static void fill_nonblocking(int fd)
{
	int i;

	for (i = 0; i < 50; i++) {
		ssize_t n, total = 0;

		while ((n = write(fd, dbuf, 65536)) > 0)
			total += n;
		if (!total && i)
			break;
		usleep(50000);
	}
}

static int make_file(char *path, size_t len, const char *tag)
{
	static int seq;
	int fd;

	snprintf(path, 64, "/tmp/diff-%s-%d-%d", tag, getpid(), seq++);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, dbuf, len) != (ssize_t)len)
		return -1;
	return fd;
}

static int tcp_pair_nb(struct fx *x, int sndbuf)
{
	int cl, sv;

	if (tcp_pair(&cl, &sv))
		return -1;
	if (sndbuf) {
		setsockopt(cl, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
		setsockopt(sv, SOL_SOCKET, SO_RCVBUF, &sndbuf, sizeof(sndbuf));
	}
	fcntl(cl, F_SETFL, O_NONBLOCK);
	x->fd[0] = cl;
	x->fd[1] = sv;
	return 0;
}

static int fx_make(enum fixture k, struct fx *x)
{
	int p[2], s[2], fd;

	memset(x, 0, sizeof(*x));
	x->fd[0] = x->fd[1] = x->extra[0] = x->extra[1] = -1;
	switch (k) {
	case FX_PIPE:
	case FX_PIPE_FULL:
	case FX_PIPE_READ_END:
	case FX_PIPE_NO_READER:
		if (pipe2(p, O_NONBLOCK))
			return -1;
		fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
		if (k == FX_PIPE_FULL)
			fill_nonblocking(p[1]);
		x->fd[0] = k == FX_PIPE_READ_END ? p[0] : p[1];
		x->fd[1] = k == FX_PIPE_READ_END ? p[1] : p[0];
		if (k == FX_PIPE_NO_READER) {
			close(p[0]);
			x->fd[1] = -1;
		}
		return 0;
	case FX_FILE:
	case FX_FILE_RDONLY:
	case FX_FILE_APPEND:
	case FX_FILE_OPATH:
		fd = make_file(x->path, 4096, "f");
		if (fd < 0)
			return -1;
		if (k == FX_FILE) {
			x->fd[0] = fd;
		} else {
			close(fd);
			x->fd[0] = open(x->path, k == FX_FILE_RDONLY ? O_RDONLY :
					k == FX_FILE_APPEND ? O_WRONLY | O_APPEND : O_PATH);
		}
		lseek(x->fd[0], 100, SEEK_SET);
		return x->fd[0] < 0 ? -1 : 0;
	case FX_DIR:
		x->fd[0] = open("/tmp", O_RDONLY | O_DIRECTORY);
		return x->fd[0] < 0 ? -1 : 0;
	case FX_DEVNULL:
		x->fd[0] = open("/dev/null", O_RDWR);
		return x->fd[0] < 0 ? -1 : 0;
	case FX_EVENTFD:
		x->fd[0] = eventfd(0, EFD_NONBLOCK);
		return x->fd[0] < 0 ? -1 : 0;
	case FX_CLOSED:
		x->fd[0] = closed_fd();
		return 0;
	case FX_MINUS1:
		x->fd[0] = -1;
		return 0;
	case FX_HUGE:
		x->fd[0] = INT_MAX;
		return 0;
	case FX_UNIX:
	case FX_UNIX_FULL:
	case FX_UNIX_PEER_CLOSED:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, s))
			return -1;
		if (k == FX_UNIX_FULL)
			fill_nonblocking(s[0]);
		x->fd[0] = s[0];
		x->fd[1] = s[1];
		if (k == FX_UNIX_PEER_CLOSED) {
			close(s[1]);
			x->fd[1] = -1;
		}
		return 0;
	case FX_UNIX_DGRAM:
		x->fd[0] = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		return x->fd[0] < 0 ? -1 : 0;
	case FX_TCP:
	case FX_TCP_SHUT_WR:
		if (tcp_pair_nb(x, 0))
			return -1;
		if (k == FX_TCP_SHUT_WR)
			shutdown(x->fd[0], SHUT_WR);
		return 0;
	case FX_TCP_BLOCKING:
		if (tcp_pair_nb(x, 0))
			return -1;
		fcntl(x->fd[0], F_SETFL, 0);
		return 0;
	case FX_TCP_FULL:
		if (tcp_pair_nb(x, 4096))
			return -1;
		fill_nonblocking(x->fd[0]);
		return 0;
	case FX_TCP_RST: {
		struct linger l = { 1, 0 };
		struct pollfd pf;

		if (tcp_pair_nb(x, 0))
			return -1;
		setsockopt(x->fd[1], SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		close(x->fd[1]);
		x->fd[1] = -1;
		pf = (struct pollfd){ .fd = x->fd[0], .events = POLLIN };
		poll(&pf, 1, 1000);	/* the RST is there */
		return 0;
	}
	case FX_TCP_UNCONNECTED:
		x->fd[0] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		return x->fd[0] < 0 ? -1 : 0;
	case FX_TCP_LISTENER: {
		struct sockaddr_in a = { .sin_family = AF_INET };

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		x->fd[0] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (x->fd[0] < 0 || bind(x->fd[0], (struct sockaddr *)&a, sizeof(a)) ||
		    listen(x->fd[0], 4))
			return -1;
		return 0;
	}
	case FX_UDP:
	case FX_UDP_CONNECTED: {
		struct sockaddr_in a = { .sin_family = AF_INET };
		socklen_t al = sizeof(a);

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		x->fd[1] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		x->fd[0] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (x->fd[0] < 0 || x->fd[1] < 0 ||
		    bind(x->fd[1], (struct sockaddr *)&a, sizeof(a)) ||
		    getsockname(x->fd[1], (struct sockaddr *)&a, &al))
			return -1;
		if (k == FX_UDP_CONNECTED &&
		    connect(x->fd[0], (struct sockaddr *)&a, sizeof(a)))
			return -1;
		return 0;
	}
	default:
		break;
	}

	/* sendfile fixtures: the input first */
	fd = make_file(x->path2, 65536, "in");
	if (fd < 0)
		return -1;
	lseek(fd, 100, SEEK_SET);
	x->fd[1] = fd;
	switch (k) {
	case FX_SF_PIPE:
		if (pipe2(p, O_NONBLOCK))
			return -1;
		fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
		x->fd[0] = p[1];
		x->extra[0] = p[0];
		return 0;
	case FX_SF_UNIX:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, s))
			return -1;
		x->fd[0] = s[0];
		x->extra[0] = s[1];
		return 0;
	case FX_SF_FILE:
	case FX_SF_APPEND:
	case FX_SF_OUT_RDONLY:
		fd = make_file(x->path, 10, "out");
		if (fd < 0)
			return -1;
		if (k == FX_SF_FILE) {
			x->fd[0] = fd;
			return 0;
		}
		close(fd);
		x->fd[0] = open(x->path, k == FX_SF_APPEND ? O_WRONLY | O_APPEND : O_RDONLY);
		return x->fd[0] < 0 ? -1 : 0;
	default:
		break;
	}
	/* the input is the odd one: the output a pipe */
	if (pipe2(p, O_NONBLOCK))
		return -1;
	x->fd[0] = p[1];
	x->extra[0] = p[0];
	close(x->fd[1]);
	x->fd[1] = -1;
	switch (k) {
	case FX_SF_IN_WRONLY:
		x->fd[1] = open(x->path2, O_WRONLY);
		break;
	case FX_SF_IN_PIPE:
		if (pipe2(s, O_NONBLOCK))
			return -1;
		if (write(s[1], dbuf, 1000) != 1000)
			return -1;
		x->fd[1] = s[0];
		x->extra[1] = s[1];
		break;
	case FX_SF_IN_OPATH:
		x->fd[1] = open(x->path2, O_PATH);
		break;
	case FX_SF_IN_DIR:
		x->fd[1] = open("/tmp", O_RDONLY | O_DIRECTORY);
		break;
	case FX_SF_IN_CLOSED:
		x->fd[1] = closed_fd();
		return 0;
	default:
		return -1;
	}
	return x->fd[1] < 0 ? -1 : 0;
}

static void fx_free(struct fx *x)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (x->fd[i] >= 0 && x->fd[i] != INT_MAX && x->fd[i] != 900)
			close(x->fd[i]);
		if (x->extra[i] >= 0)
			close(x->extra[i]);
	}
	if (x->path[0])
		unlink(x->path);
	if (x->path2[0])
		unlink(x->path2);
}

/* What can be seen of a fixture from outside after the operation. */
static void fx_state(struct fx *x, char *out, size_t len)
{
	int i, n = 0, q;
	size_t o = 0;
	struct stat sb;

	out[0] = 0;
	for (i = 0; i < 2; i++) {
		int fd = x->fd[i];

		if (fd < 0 || fd == INT_MAX || fd == 900 || fcntl(fd, F_GETFD) < 0) {
			o += snprintf(out + o, len - o, " [%d: closed]", i);
			continue;
		}
		if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
			o += snprintf(out + o, len - o, " [%d: pos %ld size %ld]", i,
				      (long)lseek(fd, 0, SEEK_CUR), (long)sb.st_size);
		n = -1;
		if (ioctl(fd, FIONREAD, &q) == 0)
			n = q;
		if (n >= 0 && !S_ISREG(sb.st_mode))
			o += snprintf(out + o, len - o, " [%d: %d readable]", i, n);
	}
	for (i = 0; i < 2; i++)
		if (x->extra[i] >= 0 && ioctl(x->extra[i], FIONREAD, &q) == 0)
			o += snprintf(out + o, len - o, " [extra %d: %d readable]", i, q);
}

enum addr { A_BUF, A_NULL, A_KERNEL, A_TAIL, A_IOV, A_IOV_BAD, A_MSG };

struct dcase {
	enum fixture fx;
	uint8_t op;
	enum addr addr;
	uint32_t len;
	uint64_t off;
	uint32_t flags;
	int namelen;		/* SENDMSG: -2 no name; else msg_namelen with the receiver's address */
};

#define CUR SAIO_OFF_CURRENT
#define NONAME (-2)
#define G4 0xffffffffu		/* the largest length an entry can carry: 4 GiB - 1 */

static const struct dcase cases[] = {
	/* WRITE: sizes 0..4 GiB, positions, descriptors of every kind */
	{ FX_PIPE, SAIO_KOP_WRITE, A_BUF, 0, CUR, 0, 0 },
	{ FX_PIPE, SAIO_KOP_WRITE, A_BUF, 1, CUR, 0, 0 },
	{ FX_PIPE, SAIO_KOP_WRITE, A_BUF, 4096, CUR, 0, 0 },
	{ FX_PIPE, SAIO_KOP_WRITE, A_BUF, BUF_BYTES, CUR, 0, 0 },
	{ FX_PIPE, SAIO_KOP_WRITE, A_BUF, 0x7fffffff, CUR, 0, 0 },
	{ FX_PIPE, SAIO_KOP_WRITE, A_BUF, G4, CUR, 0, 0 },
	{ FX_PIPE, SAIO_KOP_WRITE, A_NULL, 10, CUR, 0, 0 },
	{ FX_PIPE, SAIO_KOP_WRITE, A_KERNEL, 10, CUR, 0, 0 },
	{ FX_PIPE, SAIO_KOP_WRITE, A_TAIL, 100, CUR, 0, 0 },
	{ FX_PIPE, SAIO_KOP_WRITE, A_BUF, 10, 0, 0, 0 },
	{ FX_PIPE_FULL, SAIO_KOP_WRITE, A_BUF, 10, CUR, 0, 0 },
	{ FX_PIPE_READ_END, SAIO_KOP_WRITE, A_BUF, 10, CUR, 0, 0 },
	{ FX_PIPE_NO_READER, SAIO_KOP_WRITE, A_BUF, 10, CUR, 0, 0 },
	{ FX_FILE, SAIO_KOP_WRITE, A_BUF, 0, CUR, 0, 0 },
	{ FX_FILE, SAIO_KOP_WRITE, A_BUF, 1, CUR, 0, 0 },
	{ FX_FILE, SAIO_KOP_WRITE, A_BUF, 5000, CUR, 0, 0 },
	{ FX_FILE, SAIO_KOP_WRITE, A_BUF, BUF_BYTES, CUR, 0, 0 },
	{ FX_FILE, SAIO_KOP_WRITE, A_BUF, G4, CUR, 0, 0 },
	{ FX_FILE, SAIO_KOP_WRITE, A_BUF, 0x7fffffff, 7, 0, 0 },
	{ FX_FILE, SAIO_KOP_WRITE, A_BUF, 300, 10000, 0, 0 },
	{ FX_FILE, SAIO_KOP_WRITE, A_BUF, 300, (uint64_t)-5, 0, 0 },
	{ FX_FILE, SAIO_KOP_WRITE, A_TAIL, 4096, 0, 0, 0 },
	{ FX_FILE, SAIO_KOP_WRITE, A_NULL, 0, CUR, 0, 0 },
	{ FX_FILE_RDONLY, SAIO_KOP_WRITE, A_BUF, 10, CUR, 0, 0 },
	{ FX_FILE_APPEND, SAIO_KOP_WRITE, A_BUF, 10, CUR, 0, 0 },
	{ FX_FILE_APPEND, SAIO_KOP_WRITE, A_BUF, 10, 0, 0, 0 },
	{ FX_FILE_OPATH, SAIO_KOP_WRITE, A_BUF, 10, CUR, 0, 0 },
	{ FX_DIR, SAIO_KOP_WRITE, A_BUF, 10, CUR, 0, 0 },
	{ FX_DEVNULL, SAIO_KOP_WRITE, A_BUF, G4, CUR, 0, 0 },
	{ FX_DEVNULL, SAIO_KOP_WRITE, A_BUF, 10, 12345, 0, 0 },
	{ FX_EVENTFD, SAIO_KOP_WRITE, A_BUF, 8, CUR, 0, 0 },
	{ FX_EVENTFD, SAIO_KOP_WRITE, A_BUF, 4, CUR, 0, 0 },
	{ FX_CLOSED, SAIO_KOP_WRITE, A_BUF, 10, CUR, 0, 0 },
	{ FX_CLOSED, SAIO_KOP_WRITE, A_BUF, 10, (uint64_t)-5, 0, 0 },
	{ FX_PIPE, SAIO_KOP_WRITE, A_BUF, 10, (uint64_t)-5, 0, 0 },
	{ FX_PIPE_READ_END, SAIO_KOP_WRITE, A_BUF, 10, 0, 0, 0 },
	{ FX_FILE_RDONLY, SAIO_KOP_WRITE, A_KERNEL, 10, CUR, 0, 0 },
	{ FX_EVENTFD, SAIO_KOP_WRITE, A_BUF, 0, CUR, 0, 0 },
	{ FX_TCP_UNCONNECTED, SAIO_KOP_WRITE, A_BUF, 0, CUR, 0, 0 },
	{ FX_TCP_RST, SAIO_KOP_WRITE, A_BUF, 0, CUR, 0, 0 },
	{ FX_MINUS1, SAIO_KOP_WRITE, A_BUF, 10, CUR, 0, 0 },
	{ FX_HUGE, SAIO_KOP_WRITE, A_BUF, 10, CUR, 0, 0 },
	{ FX_UNIX, SAIO_KOP_WRITE, A_BUF, BUF_BYTES, CUR, 0, 0 },
	{ FX_UNIX_FULL, SAIO_KOP_WRITE, A_BUF, 100, CUR, 0, 0 },
	{ FX_UNIX_PEER_CLOSED, SAIO_KOP_WRITE, A_BUF, 100, CUR, 0, 0 },
	{ FX_TCP, SAIO_KOP_WRITE, A_BUF, G4, CUR, 0, 0 },
	{ FX_TCP_FULL, SAIO_KOP_WRITE, A_BUF, 100, CUR, 0, 0 },
	{ FX_TCP_RST, SAIO_KOP_WRITE, A_BUF, 100, CUR, 0, 0 },
	{ FX_TCP_SHUT_WR, SAIO_KOP_WRITE, A_BUF, 100, CUR, 0, 0 },
	{ FX_TCP_UNCONNECTED, SAIO_KOP_WRITE, A_BUF, 100, CUR, 0, 0 },
	{ FX_UDP_CONNECTED, SAIO_KOP_WRITE, A_BUF, 100, CUR, 0, 0 },
	{ FX_UDP_CONNECTED, SAIO_KOP_WRITE, A_BUF, 70000, CUR, 0, 0 },
	{ FX_UDP, SAIO_KOP_WRITE, A_BUF, 100, CUR, 0, 0 },
	/* WRITEV: three segments (one empty), bad arrays, counts */
	{ FX_PIPE, SAIO_KOP_WRITEV, A_IOV, 3, CUR, 0, 0 },
	{ FX_PIPE, SAIO_KOP_WRITEV, A_IOV, 0, CUR, 0, 0 },
	{ FX_PIPE, SAIO_KOP_WRITEV, A_IOV, 1024, CUR, 0, 0 },
	{ FX_PIPE, SAIO_KOP_WRITEV, A_IOV, 1025, CUR, 0, 0 },
	{ FX_PIPE, SAIO_KOP_WRITEV, A_IOV_BAD, 3, CUR, 0, 0 },
	{ FX_PIPE, SAIO_KOP_WRITEV, A_NULL, 3, CUR, 0, 0 },
	{ FX_PIPE, SAIO_KOP_WRITEV, A_IOV, 3, 0, 0, 0 },
	{ FX_FILE, SAIO_KOP_WRITEV, A_IOV, 3, CUR, 0, 0 },
	{ FX_FILE, SAIO_KOP_WRITEV, A_IOV, 3, 50, 0, 0 },
	{ FX_FILE, SAIO_KOP_WRITEV, A_IOV, 3, (uint64_t)-2, 0, 0 },
	{ FX_FILE_RDONLY, SAIO_KOP_WRITEV, A_IOV, 3, CUR, 0, 0 },
	{ FX_TCP_FULL, SAIO_KOP_WRITEV, A_IOV, 3, CUR, 0, 0 },
	{ FX_CLOSED, SAIO_KOP_WRITEV, A_IOV, 3, CUR, 0, 0 },
	{ FX_CLOSED, SAIO_KOP_WRITEV, A_IOV, 3, (uint64_t)-2, 0, 0 },
	{ FX_FILE_RDONLY, SAIO_KOP_WRITEV, A_NULL, 3, CUR, 0, 0 },
	{ FX_PIPE_READ_END, SAIO_KOP_WRITEV, A_IOV, 3, 0, 0, 0 },
	{ FX_EVENTFD, SAIO_KOP_WRITEV, A_IOV, 3, CUR, 0, 0 },
	{ FX_EVENTFD, SAIO_KOP_WRITEV, A_IOV, 0, CUR, 0, 0 },
	{ FX_TCP_UNCONNECTED, SAIO_KOP_WRITEV, A_IOV, 3, CUR, 0, 0 },
	/* SEND: flags, sizes, every socket state */
	{ FX_TCP, SAIO_KOP_SEND, A_BUF, 0, 0, 0, 0 },
	{ FX_TCP, SAIO_KOP_SEND, A_BUF, 1, 0, 0, 0 },
	{ FX_TCP, SAIO_KOP_SEND, A_BUF, BUF_BYTES, 0, MSG_DONTWAIT, 0 },
	{ FX_TCP, SAIO_KOP_SEND, A_BUF, G4, 0, MSG_DONTWAIT | MSG_NOSIGNAL, 0 },
	{ FX_TCP, SAIO_KOP_SEND, A_BUF, 1, 0, MSG_OOB, 0 },
	{ FX_TCP, SAIO_KOP_SEND, A_BUF, 100, 0, MSG_MORE, 0 },
	{ FX_TCP, SAIO_KOP_SEND, A_NULL, 100, 0, 0, 0 },
	{ FX_TCP, SAIO_KOP_SEND, A_TAIL, 4096, 0, 0, 0 },
	{ FX_TCP_BLOCKING, SAIO_KOP_SEND, A_BUF, 60000, 0, 0, 0 },
	{ FX_TCP_BLOCKING, SAIO_KOP_SEND, A_BUF, 60000, 0, MSG_DONTWAIT, 0 },
	{ FX_TCP_FULL, SAIO_KOP_SEND, A_BUF, 100, 0, MSG_DONTWAIT, 0 },
	{ FX_TCP_FULL, SAIO_KOP_SEND, A_BUF, 100, 0, 0, 0 },
	{ FX_TCP_RST, SAIO_KOP_SEND, A_BUF, 100, 0, MSG_NOSIGNAL, 0 },
	{ FX_TCP_RST, SAIO_KOP_SEND, A_BUF, 100, 0, 0, 0 },
	{ FX_TCP_SHUT_WR, SAIO_KOP_SEND, A_BUF, 100, 0, MSG_NOSIGNAL, 0 },
	{ FX_TCP_UNCONNECTED, SAIO_KOP_SEND, A_BUF, 100, 0, MSG_NOSIGNAL, 0 },
	{ FX_TCP_LISTENER, SAIO_KOP_SEND, A_BUF, 100, 0, MSG_NOSIGNAL, 0 },
	{ FX_UNIX, SAIO_KOP_SEND, A_BUF, 100, 0, MSG_OOB, 0 },
	{ FX_UNIX, SAIO_KOP_SEND, A_BUF, 100, 0, MSG_EOR, 0 },
	{ FX_UNIX_FULL, SAIO_KOP_SEND, A_BUF, 100, 0, MSG_DONTWAIT, 0 },
	{ FX_UNIX_PEER_CLOSED, SAIO_KOP_SEND, A_BUF, 100, 0, MSG_NOSIGNAL, 0 },
	{ FX_UNIX_DGRAM, SAIO_KOP_SEND, A_BUF, 100, 0, 0, 0 },
	{ FX_UDP, SAIO_KOP_SEND, A_BUF, 100, 0, 0, 0 },
	{ FX_UDP_CONNECTED, SAIO_KOP_SEND, A_BUF, 100, 0, MSG_CONFIRM, 0 },
	{ FX_UDP_CONNECTED, SAIO_KOP_SEND, A_BUF, 100, 0, MSG_OOB, 0 },
	{ FX_UDP_CONNECTED, SAIO_KOP_SEND, A_BUF, 65508, 0, 0, 0 },
	{ FX_UDP_CONNECTED, SAIO_KOP_SEND, A_BUF, G4, 0, 0, 0 },
	{ FX_PIPE, SAIO_KOP_SEND, A_BUF, 100, 0, 0, 0 },
	{ FX_FILE_OPATH, SAIO_KOP_SEND, A_BUF, 100, 0, 0, 0 },
	{ FX_CLOSED, SAIO_KOP_SEND, A_BUF, 100, 0, 0, 0 },
	/* SENDMSG: names (none, 0, short, exact, storage-sized, longer, negative) */
	{ FX_UDP, SAIO_KOP_SENDMSG, A_MSG, 3, 0, 0, sizeof(struct sockaddr_in) },
	{ FX_UDP, SAIO_KOP_SENDMSG, A_MSG, 3, 0, 0, NONAME },
	{ FX_UDP, SAIO_KOP_SENDMSG, A_MSG, 3, 0, 0, 0 },
	{ FX_UDP, SAIO_KOP_SENDMSG, A_MSG, 3, 0, 0, 8 },
	{ FX_UDP, SAIO_KOP_SENDMSG, A_MSG, 3, 0, 0, 128 },
	{ FX_UDP, SAIO_KOP_SENDMSG, A_MSG, 3, 0, 0, 129 },
	{ FX_UDP, SAIO_KOP_SENDMSG, A_MSG, 3, 0, 0, 100000 },
	{ FX_UDP, SAIO_KOP_SENDMSG, A_MSG, 3, 0, 0, -1 },
	{ FX_UDP, SAIO_KOP_SENDMSG, A_MSG, 0, 0, 0, sizeof(struct sockaddr_in) },
	{ FX_UDP, SAIO_KOP_SENDMSG, A_MSG, 1025, 0, 0, sizeof(struct sockaddr_in) },
	{ FX_UDP_CONNECTED, SAIO_KOP_SENDMSG, A_MSG, 3, 0, 0, NONAME },
	{ FX_UDP_CONNECTED, SAIO_KOP_SENDMSG, A_MSG, 3, 0, 0, sizeof(struct sockaddr_in) },
	{ FX_TCP, SAIO_KOP_SENDMSG, A_MSG, 3, 0, 0, NONAME },
	{ FX_TCP, SAIO_KOP_SENDMSG, A_MSG, 3, 0, 0, sizeof(struct sockaddr_in) },
	{ FX_TCP_FULL, SAIO_KOP_SENDMSG, A_MSG, 3, 0, MSG_DONTWAIT, NONAME },
	{ FX_TCP_RST, SAIO_KOP_SENDMSG, A_MSG, 3, 0, MSG_NOSIGNAL, NONAME },
	{ FX_UNIX, SAIO_KOP_SENDMSG, A_MSG, 3, 0, 0, sizeof(struct sockaddr_in) },
	{ FX_UNIX_DGRAM, SAIO_KOP_SENDMSG, A_MSG, 3, 0, 0, NONAME },
	{ FX_UDP, SAIO_KOP_SENDMSG, A_NULL, 3, 0, 0, NONAME },
	{ FX_PIPE, SAIO_KOP_SENDMSG, A_MSG, 3, 0, 0, NONAME },
	{ FX_CLOSED, SAIO_KOP_SENDMSG, A_MSG, 3, 0, 0, NONAME },
	/* SENDFILE: outputs, inputs, offsets, lengths 0..4 GiB */
	{ FX_SF_PIPE, SAIO_KOP_SENDFILE, A_BUF, 0, CUR, 0, 0 },
	{ FX_SF_PIPE, SAIO_KOP_SENDFILE, A_BUF, 1000, CUR, 0, 0 },
	{ FX_SF_PIPE, SAIO_KOP_SENDFILE, A_BUF, 1000, 0, 0, 0 },
	{ FX_SF_PIPE, SAIO_KOP_SENDFILE, A_BUF, G4, CUR, 0, 0 },
	{ FX_SF_PIPE, SAIO_KOP_SENDFILE, A_BUF, 1000, 65536, 0, 0 },
	{ FX_SF_PIPE, SAIO_KOP_SENDFILE, A_BUF, 1000, 1 << 30, 0, 0 },
	{ FX_SF_PIPE, SAIO_KOP_SENDFILE, A_BUF, 1000, (uint64_t)-7, 0, 0 },
	{ FX_SF_UNIX, SAIO_KOP_SENDFILE, A_BUF, G4, 10, 0, 0 },
	{ FX_SF_FILE, SAIO_KOP_SENDFILE, A_BUF, 5000, CUR, 0, 0 },
	{ FX_SF_FILE, SAIO_KOP_SENDFILE, A_BUF, G4, 3, 0, 0 },
	{ FX_SF_APPEND, SAIO_KOP_SENDFILE, A_BUF, 100, CUR, 0, 0 },
	{ FX_SF_OUT_RDONLY, SAIO_KOP_SENDFILE, A_BUF, 100, CUR, 0, 0 },
	{ FX_SF_IN_WRONLY, SAIO_KOP_SENDFILE, A_BUF, 100, CUR, 0, 0 },
	{ FX_SF_IN_PIPE, SAIO_KOP_SENDFILE, A_BUF, 100, CUR, 0, 0 },
	{ FX_SF_IN_PIPE, SAIO_KOP_SENDFILE, A_BUF, 100, 0, 0, 0 },
	{ FX_SF_IN_OPATH, SAIO_KOP_SENDFILE, A_BUF, 100, CUR, 0, 0 },
	{ FX_SF_IN_DIR, SAIO_KOP_SENDFILE, A_BUF, 100, CUR, 0, 0 },
	{ FX_SF_IN_CLOSED, SAIO_KOP_SENDFILE, A_BUF, 100, CUR, 0, 0 },
	/* CLOSE */
	{ FX_PIPE, SAIO_KOP_CLOSE, A_BUF, 0, 0, 0, 0 },
	{ FX_TCP, SAIO_KOP_CLOSE, A_BUF, 0, 0, 0, 0 },
	{ FX_FILE_OPATH, SAIO_KOP_CLOSE, A_BUF, 0, 0, 0, 0 },
	{ FX_CLOSED, SAIO_KOP_CLOSE, A_BUF, 0, 0, 0, 0 },
	{ FX_MINUS1, SAIO_KOP_CLOSE, A_BUF, 0, 0, 0, 0 },
	{ FX_HUGE, SAIO_KOP_CLOSE, A_BUF, 0, 0, 0, 0 },
	/* SHUTDOWN: every how, sockets in every state */
	{ FX_TCP, SAIO_KOP_SHUTDOWN, A_BUF, 0, 0, SHUT_RD, 0 },
	{ FX_TCP, SAIO_KOP_SHUTDOWN, A_BUF, 0, 0, SHUT_WR, 0 },
	{ FX_TCP, SAIO_KOP_SHUTDOWN, A_BUF, 0, 0, SHUT_RDWR, 0 },
	{ FX_TCP, SAIO_KOP_SHUTDOWN, A_BUF, 0, 0, 3, 0 },
	{ FX_TCP, SAIO_KOP_SHUTDOWN, A_BUF, 0, 0, 0xffffffff, 0 },
	{ FX_TCP_RST, SAIO_KOP_SHUTDOWN, A_BUF, 0, 0, SHUT_WR, 0 },
	{ FX_TCP_SHUT_WR, SAIO_KOP_SHUTDOWN, A_BUF, 0, 0, SHUT_WR, 0 },
	{ FX_TCP_UNCONNECTED, SAIO_KOP_SHUTDOWN, A_BUF, 0, 0, SHUT_WR, 0 },
	{ FX_TCP_LISTENER, SAIO_KOP_SHUTDOWN, A_BUF, 0, 0, SHUT_RDWR, 0 },
	{ FX_UNIX, SAIO_KOP_SHUTDOWN, A_BUF, 0, 0, SHUT_WR, 0 },
	{ FX_UNIX, SAIO_KOP_SHUTDOWN, A_BUF, 0, 0, 3, 0 },
	{ FX_UNIX_DGRAM, SAIO_KOP_SHUTDOWN, A_BUF, 0, 0, SHUT_RDWR, 0 },
	{ FX_UDP, SAIO_KOP_SHUTDOWN, A_BUF, 0, 0, SHUT_RDWR, 0 },
	{ FX_UDP_CONNECTED, SAIO_KOP_SHUTDOWN, A_BUF, 0, 0, SHUT_RDWR, 0 },
	{ FX_PIPE, SAIO_KOP_SHUTDOWN, A_BUF, 0, 0, SHUT_WR, 0 },
	{ FX_FILE_OPATH, SAIO_KOP_SHUTDOWN, A_BUF, 0, 0, SHUT_WR, 0 },
	{ FX_CLOSED, SAIO_KOP_SHUTDOWN, A_BUF, 0, 0, SHUT_WR, 0 },
	/* SETSOCKOPT: TCP_CORK / TCP_NODELAY on every socket kind */
	{ FX_TCP, SAIO_KOP_SETSOCKOPT, A_BUF, 0, 1, SAIO_SOCKOPT_CORK, 0 },
	{ FX_TCP, SAIO_KOP_SETSOCKOPT, A_BUF, 0, 0, SAIO_SOCKOPT_CORK, 0 },
	{ FX_TCP, SAIO_KOP_SETSOCKOPT, A_BUF, 0, 7, SAIO_SOCKOPT_NODELAY, 0 },
	{ FX_TCP_RST, SAIO_KOP_SETSOCKOPT, A_BUF, 0, 1, SAIO_SOCKOPT_NODELAY, 0 },
	{ FX_TCP_UNCONNECTED, SAIO_KOP_SETSOCKOPT, A_BUF, 0, 1, SAIO_SOCKOPT_CORK, 0 },
	{ FX_TCP_LISTENER, SAIO_KOP_SETSOCKOPT, A_BUF, 0, 1, SAIO_SOCKOPT_NODELAY, 0 },
	{ FX_UNIX, SAIO_KOP_SETSOCKOPT, A_BUF, 0, 1, SAIO_SOCKOPT_CORK, 0 },
	{ FX_UNIX_DGRAM, SAIO_KOP_SETSOCKOPT, A_BUF, 0, 1, SAIO_SOCKOPT_NODELAY, 0 },
	{ FX_UDP, SAIO_KOP_SETSOCKOPT, A_BUF, 0, 1, SAIO_SOCKOPT_CORK, 0 },
	{ FX_UDP_CONNECTED, SAIO_KOP_SETSOCKOPT, A_BUF, 0, 1, SAIO_SOCKOPT_NODELAY, 0 },
	{ FX_PIPE, SAIO_KOP_SETSOCKOPT, A_BUF, 0, 1, SAIO_SOCKOPT_CORK, 0 },
	{ FX_CLOSED, SAIO_KOP_SETSOCKOPT, A_BUF, 0, 1, SAIO_SOCKOPT_CORK, 0 },
};

static const char *const op_names[] = {
	"NOP", "WRITE", "WRITEV", "SEND", "SENDMSG", "SENDFILE", "CLOSE", "SHUTDOWN",
	"SETSOCKOPT",
};

/* The iovec array, msghdr and address a case uses, built for one fixture. */
struct args {
	struct iovec iov[1100];
	struct msghdr mh;
	struct sockaddr_storage name;
	struct iovec miov[2];
};

static uint64_t case_addr(const struct dcase *c, struct args *a, struct fx *x)
{
	unsigned int i;

	switch (c->addr) {
	case A_NULL:
		return 0;
	case A_KERNEL:
		return 0xffffffff81000000ULL;
	case A_TAIL:
		return (uintptr_t)dbuf + BUF_BYTES - 10;	/* 10 bytes, then the guard */
	case A_IOV:
	case A_IOV_BAD:
		for (i = 0; i < sizeof(a->iov) / sizeof(a->iov[0]); i++)
			a->iov[i] = (struct iovec){ dbuf + (i * 37) % 4096, 1 + i % 50 };
		a->iov[1].iov_len = 0;
		if (c->addr == A_IOV_BAD)
			a->iov[2].iov_base = NULL;
		return (uintptr_t)a->iov;
	case A_MSG: {
		struct sockaddr_in me = { .sin_family = AF_INET };
		socklen_t ml = sizeof(me);

		memset(&a->mh, 0, sizeof(a->mh));
		memset(&a->name, 0, sizeof(a->name));
		/* the receiver's address (UDP), or our own (others) */
		getsockname(x->fd[1] >= 0 ? x->fd[1] : x->fd[0], (struct sockaddr *)&me, &ml);
		memcpy(&a->name, &me, sizeof(me));
		a->miov[0] = (struct iovec){ dbuf, 30 };
		a->miov[1] = (struct iovec){ dbuf + 100, 20 };
		a->mh.msg_iov = c->len <= 2 ? a->miov : a->iov;
		a->mh.msg_iovlen = c->len == 3 ? 2 : c->len;
		if (c->len > 2) {
			for (i = 0; i < sizeof(a->iov) / sizeof(a->iov[0]); i++)
				a->iov[i] = (struct iovec){ dbuf, 1 };
			if (c->len == 3)
				a->mh.msg_iov = a->miov;
		}
		if (c->namelen != NONAME) {
			a->mh.msg_name = &a->name;
			a->mh.msg_namelen = c->namelen;
		}
		return (uintptr_t)&a->mh;
	}
	default:
		return (uintptr_t)dbuf;
	}
}

/* The system call the entry stands for; its result or -errno. */
static long via_syscall(const struct dcase *c, struct fx *x, struct args *a)
{
	void *addr = (void *)(uintptr_t)case_addr(c, a, x);
	int fd = x->fd[0];
	long r;

	errno = 0;
	switch (c->op) {
	case SAIO_KOP_WRITE:
		r = c->off == CUR ? write(fd, addr, c->len) :
		    pwrite(fd, addr, c->len, (off_t)c->off);
		break;
	case SAIO_KOP_WRITEV:
		r = c->off == CUR ? writev(fd, addr, c->len) :
		    pwritev(fd, addr, c->len, (off_t)c->off);
		break;
	case SAIO_KOP_SEND:
		r = send(fd, addr, c->len, c->flags);
		break;
	case SAIO_KOP_SENDMSG:
		r = sendmsg(fd, addr, c->flags);
		break;
	case SAIO_KOP_SENDFILE:
		if (c->off == CUR) {
			r = sendfile(fd, x->fd[1], NULL, c->len);
		} else {
			off_t o = (off_t)c->off;

			r = sendfile(fd, x->fd[1], &o, c->len);
		}
		break;
	case SAIO_KOP_CLOSE:
		r = close(fd);
		break;
	case SAIO_KOP_SHUTDOWN:
		r = shutdown(fd, (int)c->flags);
		break;
	default: {
		int v = c->off != 0;

		r = setsockopt(fd, IPPROTO_TCP,
			       c->flags == SAIO_SOCKOPT_CORK ? TCP_CORK : TCP_NODELAY,
			       &v, sizeof(v));
	}
	}
	return r < 0 ? -errno : r;
}

static long via_module(struct saio_client *sc, const struct dcase *c, struct fx *x,
		       struct args *a)
{
	struct saio_sqe *s;
	struct saio_cqe cq;

	s = prep(&sc->ring[0], c->op, x->fd[0], (void *)(uintptr_t)case_addr(c, a, x),
		 c->len, c->off, 77);
	if (!s)
		return LONG_MIN;
	s->op_flags = c->flags;
	s->fd_in = x->fd[1];
	if (run_batch(sc, &sc->ring[0], &cq, 1))
		return LONG_MIN;
	return cq.res;
}

int t_diff_ops(void)
{
	static struct args a;
	struct saio_client sc;
	unsigned int i, bad = 0;
	unsigned char *m;

	m = mmap(NULL, BUF_BYTES + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	CHECK(m != MAP_FAILED, "mmap");
	mprotect(m + BUF_BYTES, 4096, PROT_NONE);
	dbuf = m;
	fill_pattern(dbuf, BUF_BYTES, 17);
	TRY(open_ctx(&sc, 8, 1, 0, SAIO_MODE_ENTER));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct dcase *c = &cases[i];
		char st_sys[256], st_mod[256];
		struct fx xs, xm;
		long rs, rm;
		int k;

		CHECK(fx_make(c->fx, &xs) == 0 && fx_make(c->fx, &xm) == 0,
		      "case %u: fixture %s: %s", i, fx_names[c->fx], strerror(errno));
		rs = via_syscall(c, &xs, &a);
		rm = via_module(&sc, c, &xm, &a);
		CHECK(rm != LONG_MIN, "case %u: the entry did not complete", i);
		if (c->op == SAIO_KOP_CLOSE) {	/* not ours to close again */
			if (rs == 0)
				xs.fd[0] = -1;
			if (rm == 0)
				xm.fd[0] = -1;
		}
		fx_state(&xs, st_sys, sizeof(st_sys));
		fx_state(&xm, st_mod, sizeof(st_mod));
		/* loopback delivery may finish in a softirq a moment later: let it settle */
		for (k = 0; k < 10 && rs == rm && strcmp(st_sys, st_mod); k++) {
			usleep(20000);
			fx_state(&xs, st_sys, sizeof(st_sys));
			fx_state(&xm, st_mod, sizeof(st_mod));
		}
		if (rs != rm || strcmp(st_sys, st_mod)) {
			fprintf(stderr, "  DIFF case %u: %s on %s, len %u off %lld flags %#x "
				"name %d: system call %ld%s%s, module %ld%s%s\n", i,
				op_names[c->op], fx_names[c->fx], c->len, (long long)c->off,
				c->flags, c->namelen, rs, rs < 0 ? " " : "",
				rs < 0 ? strerror((int)-rs) : "", rm, rm < 0 ? " " : "",
				rm < 0 ? strerror((int)-rm) : "");
			if (strcmp(st_sys, st_mod))
				fprintf(stderr, "    after: system call%s; module%s\n", st_sys,
					st_mod);
			bad++;
		}
		fx_free(&xs);
		fx_free(&xm);
	}
	fprintf(stderr, "  %zu cases, %u differ\n", sizeof(cases) / sizeof(cases[0]), bad);
	CHECK(!bad, "%u of %zu cases differ from the system call (listed above)", bad,
	      sizeof(cases) / sizeof(cases[0]));
	saio_client_close(&sc);
	munmap(m, BUF_BYTES + 4096);
	return 0;
}
