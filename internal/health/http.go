package health

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// maxStatusLine bounds how much of a response is read: only the status
// line matters (RFC 9112 §4).
const maxStatusLine = 1024

// parseStatusLine decodes an HTTP/1.x status line (RFC 9112 §4) with or
// without its CRLF and returns the status code.
func parseStatusLine(line []byte) (int, error) {
	s := string(line)
	s = strings.TrimSuffix(s, "\n")
	s = strings.TrimSuffix(s, "\r")
	if len(s) < len("HTTP/1.1 200") {
		return 0, fmt.Errorf("status line %q too short", s)
	}
	if !strings.HasPrefix(s, "HTTP/1.") || s[7] < '0' || s[7] > '9' {
		return 0, fmt.Errorf("status line %q is not HTTP/1.x", s)
	}
	if s[8] != ' ' {
		return 0, fmt.Errorf("status line %q: no space after the version", s)
	}
	code := s[9:12]
	for i := 0; i < 3; i++ {
		if code[i] < '0' || code[i] > '9' {
			return 0, fmt.Errorf("status line %q: status code is not three digits", s)
		}
	}
	if len(s) > 12 && s[12] != ' ' {
		return 0, fmt.Errorf("status line %q: no space after the status code", s)
	}
	n, _ := strconv.Atoi(code)
	if n < 100 {
		return 0, fmt.Errorf("status line %q: status code below 100", s)
	}
	return n, nil
}

// parseHTTPExpect returns the wanted status code, 0 for "any 2xx".
func parseHTTPExpect(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || len(s) != 3 || n < 100 || n > 599 {
		return 0, errors.New("must be empty (any 2xx) or a status code between 100 and 599")
	}
	return n, nil
}

// buildRequest returns the GET request bytes. host and path have been
// validated (no CR, LF or spaces).
func buildRequest(host string, port int, path string) []byte {
	hostHdr := host
	if port != DefaultHTTPPort {
		hostHdr = hostPort(host, port)
	}
	return []byte("GET " + path + " HTTP/1.1\r\nHost: " + hostHdr +
		"\r\nUser-Agent: floatgw-health\r\nAccept: */*\r\nConnection: close\r\n\r\n")
}

// HTTPCheck performs a plain-HTTP/1.1 GET and judges the status code.
// It is a deliberate minimal client (see doc.go for the size budget):
// no TLS, no redirects, no body is read.
type HTTPCheck struct {
	host    string
	port    int
	path    string
	want    int // 0: any 2xx
	timeout time.Duration
}

// NewHTTPCheck returns a check that GETs http://host:port/path and
// succeeds on any 2xx status, or on exactly expect when it is a status
// code ("204").
func NewHTTPCheck(host string, port int, path, expect string, timeout time.Duration) (*HTTPCheck, error) {
	if err := validHost(host); err != nil {
		return nil, fmt.Errorf("http check target %q: %w", host, err)
	}
	if port < 1 || port > 65535 {
		return nil, fmt.Errorf("http check port %d: must be between 1 and 65535", port)
	}
	if path == "" {
		path = "/"
	}
	if err := validPath(path); err != nil {
		return nil, fmt.Errorf("http check path %q: %w", path, err)
	}
	want, err := parseHTTPExpect(expect)
	if err != nil {
		return nil, fmt.Errorf("http check expect %q: %w", expect, err)
	}
	if timeout <= 0 {
		return nil, fmt.Errorf("http check timeout %v: must be positive", timeout)
	}
	return &HTTPCheck{host: host, port: port, path: path, want: want, timeout: timeout}, nil
}

// String implements Check.
func (c *HTTPCheck) String() string {
	return "http " + hostPort(c.host, c.port) + c.path
}

// Run implements Check.
func (c *HTTPCheck) Run(ctx context.Context) Result {
	start := time.Now()
	ctx, cancel := withTimeout(ctx, c.timeout)
	defer cancel()
	conn, err := dialTCP(ctx, c.host, c.port)
	if err != nil {
		return failResult(start, "%v", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := conn.Write(buildRequest(c.host, c.port, c.path)); err != nil {
		return failResult(start, "send request: %v", unwrapOp(err))
	}
	line, err := readLine(bufio.NewReaderSize(conn, 256), maxStatusLine)
	if err != nil {
		return failResult(start, "read status line: %v", unwrapOp(err))
	}
	code, err := parseStatusLine(line)
	if err != nil {
		return failResult(start, "%v", err)
	}
	switch {
	case c.want == 0 && code >= 200 && code <= 299, code == c.want:
		return okResult(start)
	case c.want == 0:
		return failResult(start, "status %d, want 2xx", code)
	default:
		return failResult(start, "status %d, want %d", code, c.want)
	}
}

// readLine reads up to and including '\n', at most limit bytes.
func readLine(r *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		b, err := r.ReadByte()
		if err != nil {
			if err == io.EOF {
				return nil, fmt.Errorf("connection closed after %d bytes", len(line))
			}
			return nil, err
		}
		line = append(line, b)
		if b == '\n' {
			return line, nil
		}
		if len(line) >= limit {
			return nil, fmt.Errorf("no end of line within %d bytes", limit)
		}
	}
}
