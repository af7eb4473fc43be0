package fileserve

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/kwik-transport/kwik"
)

// Download is an object on its way from the servers: Read returns its bytes
// in order and io.EOF exactly after Size of them.
type Download struct {
	// Size is the object's length, from the primary's header.
	Size int64

	ctx  context.Context // the Get's: cancelling it stops reads
	str  *kwik.Stream
	r    *bufio.Reader
	read int64
	done bool
	stop func() bool // detaches the cancellation hook
}

// Get asks the primary of sess for the object name on a new stream and
// waits for its header. A refusal is a *RemoteError. Read the object from
// the Download, then Close it; cancelling ctx stops the reads.
func Get(ctx context.Context, sess *kwik.Session, name string) (*Download, error) {
	req, err := AppendRequest(nil, name)
	if err != nil {
		return nil, err
	}
	str, err := sess.OpenStreamSync(ctx)
	if err != nil {
		return nil, err
	}
	d := &Download{ctx: ctx, str: str, r: bufio.NewReaderSize(str, 64<<10)}
	d.stop = context.AfterFunc(ctx, func() {
		str.CancelRead(codeCancelled)
		str.CancelWrite(codeCancelled)
	})
	if _, err := str.Write(req); err != nil {
		d.Close()
		return nil, d.wrap(fmt.Errorf("sending the request: %w", err))
	}
	if err := str.Close(); err != nil {
		d.Close()
		return nil, d.wrap(fmt.Errorf("sending the request: %w", err))
	}
	h, err := ReadHeader(d.r)
	if err != nil {
		d.Close()
		return nil, d.wrap(err)
	}
	if h.Err != nil {
		d.Close()
		return nil, h.Err
	}
	d.Size = h.Size
	return d, nil
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
