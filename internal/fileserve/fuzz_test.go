package fileserve

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// FuzzParseRequest checks that ParseRequest never panics, and that what it
// accepts encodes back to the same bytes.
func FuzzParseRequest(f *testing.F) {
	for _, seed := range []string{"GET a\n", "GET dir/file.bin\n", "GET ../etc/passwd\n", "GET /abs\n", "GET \n", "GET a", "PUT a\n", "GET a\x00\n", "GET \xff\n",
		"GET a\nstart 10\n", "GET a\nstart 0\n", "GET a\nstart 01\n", "GET a\nstart 1\nstart 2\n", "GET a\nrange 1-2\n", "GET a\n\n"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := ParseRequest(b)
		if err != nil {
			return
		}
		again, err := req.Append(nil)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("ParseRequest(%q) = %+v, which encodes as %q, %v", b, req, again, err)
		}
	})
}

// FuzzReadHeader checks that ReadHeader never panics, reads at most
// maxHeaderLen bytes, returns exactly the bytes it read past the newline
// whatever sizes its Reads return (chunk), and that what it accepts encodes
// back canonically.
func FuzzReadHeader(f *testing.F) {
	for i, seed := range []string{"OK 0\n", "OK 268435456\nbody", "ERR not-found no such file\n", "ERR forbidden\n", "ERR internal a b c\n", "OK -1\n", "OK 01\n", "ERR what?\n", "OK 12", "\n", "OK 10 start=4\n", "OK 10 start=11\n", "OK 10 sha256=ab start=10\n", "OK 10 start=0\n"} {
		f.Add(uint8(i), []byte(seed))
	}
	f.Add(uint8(0), []byte("ERR bad-request "+strings.Repeat("m", maxMessageLen)+"\nbody"))
	f.Add(uint8(200), []byte(strings.Repeat("O", 2*maxHeaderLen)))
	f.Fuzz(func(t *testing.T, chunk uint8, b []byte) {
		src := bytes.NewReader(b)
		var r io.Reader = src
		if chunk > 0 {
			r = &chunkedReader{r: src, n: int(chunk)}
		}
		h, rest, err := ReadHeader(r)
		read := len(b) - src.Len()
		if read > maxHeaderLen {
			t.Fatalf("ReadHeader read %d bytes; the limit is %d", read, maxHeaderLen)
		}
		if err != nil {
			return
		}
		nl := bytes.IndexByte(b, '\n')
		if !bytes.Equal(rest, b[nl+1:read]) {
			t.Fatalf("ReadHeader returned %q past the newline; it read %q", rest, b[nl+1:read])
		}
		again := h.Append(nil)
		h2, err := ParseHeader(again[:len(again)-1])
		if err != nil || h2.Size != h.Size || h2.Start != h.Start || (h2.Err == nil) != (h.Err == nil) || (h.Err != nil && *h2.Err != *h.Err) {
			t.Fatalf("header %q decoded as %+v, re-encoded as %q, decoded again as %+v, %v", b[:nl+1], h, again, h2, err)
		}
	})
}

// chunkedReader returns at most n bytes a Read, as a stream may.
type chunkedReader struct {
	r io.Reader
	n int
}

func (c *chunkedReader) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }
