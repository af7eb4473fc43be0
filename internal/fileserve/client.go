package fileserve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kwik-transport/kwik"
)

// DefaultHeaderTimeout is how long Client.Get waits for the primary's
// header when Client.HeaderTimeout is zero.
const DefaultHeaderTimeout = 30 * time.Second

// Client asks a primary for objects. The zero value is ready to use.
type Client struct {
	// HeaderTimeout bounds the wait for the primary's header once the
	// request is sent: a server that accepts the stream and never answers
	// (not a kwik serve primary, or a stuck one) is given up on with an
	// error matching os.ErrDeadlineExceeded. Zero means
	// DefaultHeaderTimeout; negative means no limit but ctx.
	HeaderTimeout time.Duration
}

// Download is an object on its way from the servers: Read returns its bytes
// from Start in order, and io.EOF exactly after the object's last byte.
type Download struct {
	// Size is the object's length, from the primary's header.
	Size int64
	// Start is the offset in the object of the first byte Read returns:
	// the request's Start.
	Start int64
	// SHA256 is the whole object's digest as the primary announced it, or
	// nil when it did not know it: the client checks it (Verify).
	SHA256 []byte

	ctx  context.Context // the Get's: cancelling it stops reads
	str  *kwik.Stream
	r    io.Reader // str, after the object's bytes that came with the header
	read int64     // the offset in the object of the next byte
	done bool
	stop func() bool // detaches the cancellation hook
}

// Get asks the primary of sess for the object name, as a zero Client does.
func Get(ctx context.Context, sess *kwik.Session, name string) (*Download, error) {
	return (&Client{}).Get(ctx, sess, Request{Name: name})
}

// Get sends req to the primary of sess on a new stream and waits for its
// header. A refusal is a *RemoteError. Read the object from the Download,
// then Close it; cancelling ctx stops the reads.
func (c *Client) Get(ctx context.Context, sess *kwik.Session, req Request) (*Download, error) {
	b, err := req.Append(nil)
	if err != nil {
		return nil, err
	}
	str, err := sess.OpenStreamSync(ctx)
	if err != nil {
		return nil, err
	}
	d := &Download{ctx: ctx, str: str}
	d.stop = context.AfterFunc(ctx, func() {
		str.CancelRead(codeCancelled)
		str.CancelWrite(codeCancelled)
	})
	if _, err := str.Write(b); err != nil {
		d.Close()
		return nil, d.wrap(fmt.Errorf("sending the request: %w", err))
	}
	if err := str.Close(); err != nil {
		d.Close()
		return nil, d.wrap(fmt.Errorf("sending the request: %w", err))
	}
	h, err := c.readHeader(d)
	if err != nil {
		d.Close()
		return nil, d.wrap(err)
	}
	if h.Err != nil {
		d.Close()
		return nil, h.Err
	}
	if h.Start != req.Start {
		d.Close()
		return nil, &ProtocolError{What: "header", Reason: fmt.Sprintf("the object starts at offset %d; the request asked for %d", h.Start, req.Start)}
	}
	d.Size, d.Start, d.read, d.SHA256 = h.Size, h.Start, h.Start, h.SHA256
	return d, nil
}

// readHeader reads the header within the header timeout.
func (c *Client) readHeader(d *Download) (Header, error) {
	timeout := c.HeaderTimeout
	if timeout == 0 {
		timeout = DefaultHeaderTimeout
	}
	if timeout > 0 {
		d.str.SetReadDeadline(time.Now().Add(timeout))
		defer d.str.SetReadDeadline(time.Time{})
	}
	h, body, err := ReadHeader(d.str)
	d.r = d.str
	if len(body) > 0 {
		d.r = io.MultiReader(bytes.NewReader(body), d.str)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return h, fmt.Errorf("the primary sent no answer within %v (is it a kwik serve primary?): %w", timeout, err)
	}
	return h, err
}

// Read reads the object's next bytes.
func (d *Download) Read(p []byte) (int, error) {
	if d.done {
		return 0, io.EOF
	}
	left := d.Size - d.read
	if left == 0 {
		// The stream must end here: more bytes mean a broken server.
		var one [1]byte
		n, err := io.ReadFull(d.r, one[:])
		if n > 0 {
			return 0, &ProtocolError{What: "response", Reason: fmt.Sprintf("more than the %d bytes the header announced", d.Size)}
		}
		if err != io.EOF {
			return 0, d.wrap(err)
		}
		d.done = true
		return 0, io.EOF
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := d.r.Read(p)
	d.read += int64(n)
	switch {
	case err == io.EOF && d.read < d.Size:
		return n, &ShortError{Got: d.read, Want: d.Size}
	case err == io.EOF:
		d.done = true
		return n, nil // reported by the next Read, after the size check
	case err != nil:
		return n, d.wrap(err)
	}
	return n, nil
}

// SetReadDeadline sets when a Read waiting for bytes gives up, with an
// error matching os.ErrDeadlineExceeded; a zero t means never.
func (d *Download) SetReadDeadline(t time.Time) error { return d.str.SetReadDeadline(t) }

// Close ends the download; unread bytes are abandoned.
func (d *Download) Close() error {
	d.stop()
	if !d.done {
		d.str.CancelRead(codeCancelled)
	}
	return nil
}

// wrap prefers the context's reason for an error caused by cancelling it.
func (d *Download) wrap(err error) error {
	if d.ctx.Err() != nil {
		return context.Cause(d.ctx)
	}
	return err
}

// DigestError means the object received does not have the SHA-256 the
// primary announced: a server is broken or lying. Do not use the bytes.
type DigestError struct {
	Want, Got []byte
}

func (e *DigestError) Error() string {
	return fmt.Sprintf("the object's SHA-256 is %x but the primary announced %x: the bytes are not the object; discard them", e.Got, e.Want)
}

// Verify compares sum, the SHA-256 of the whole object as received (from
// offset 0, bytes before Start included), with the digest the primary
// announced. It returns false, nil when the primary announced none, and a
// *DigestError on a mismatch.
func (d *Download) Verify(sum []byte) (bool, error) {
	if d.SHA256 == nil {
		return false, nil
	}
	if !bytes.Equal(sum, d.SHA256) {
		return false, &DigestError{Want: d.SHA256, Got: sum}
	}
	return true, nil
}
