package integrationtests

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
)

// kind names what an error is, by errors.Is/As, as an application tells.
func kind(err error) string {
	var serr *quic.StreamError
	var aerr *quic.ApplicationError
	var nerr net.Error
	switch {
	case err == nil:
		return "nil"
	case err == io.EOF:
		return "EOF"
	case errors.As(err, &serr):
		return fmt.Sprintf("stream error %d remote=%v", serr.ErrorCode, serr.Remote)
	case errors.As(err, &aerr):
		return fmt.Sprintf("application error %d remote=%v %q", aerr.ErrorCode, aerr.Remote, aerr.ErrorMessage)
	case errors.Is(err, quic.ErrStreamClosed):
		return "stream closed"
	case errors.Is(err, os.ErrDeadlineExceeded) && errors.As(err, &nerr) && nerr.Timeout():
		return "timeout"
	}
	return "other error"
}

// readToEnd reads s until an error and says what was read and how it ended.
func readToEnd(s stream) string {
	b, err := io.ReadAll(s)
	if err == nil {
		err = io.EOF
	}
	return fmt.Sprintf("read %q, %s", b, kind(err))
}

// writeUntilError writes until Write fails (the peer's STOP_SENDING or
// the session's end take a round trip) and says how.
func writeUntilError(s stream) string {
	s.SetWriteDeadline(time.Now().Add(setupTimeout))
	defer s.SetWriteDeadline(time.Time{})
	for {
		if _, err := s.Write(make([]byte, 1024)); err != nil {
			return "write: " + kind(err)
		}
	}
}

// closeWithSize is CloseWithSize on KWIK and, since quic-go has none,
// Close there: with the size written so far they must be the same.
func closeWithSize(s stream, size int64) error {
	if k, ok := s.(interface{ CloseWithSize(int64) error }); ok {
		return k.CloseWithSize(size)
	}
	return s.Close()
}

// semanticsCases each drive one stream pair and report what the
// application sees; quic-go and KWIK must report the same, and want.
var semanticsCases = []struct {
	name string
	// run must not call t.Fatal: it runs on its own goroutine.
	run  func(t *testing.T, p *streamPair) []string
	want []string
}{
	{
		name: "Close",
		run: func(t *testing.T, p *streamPair) []string {
			_, werr := p.client.Write([]byte("hello"))
			cerr := p.client.Close()
			got := readToEnd(p.server)
			_, after := p.client.Write([]byte("more"))
			return []string{"write " + kind(werr), "close " + kind(cerr), got,
				"write after close: " + kind(after), "close again " + kind(p.client.Close())}
		},
		want: []string{"write nil", "close nil", `read "hello", EOF`, "write after close: stream closed", "close again nil"},
	},
	{
		name: "Close concurrent with Write",
		run: func(t *testing.T, p *streamPair) []string {
			read := make(chan int, 1)
			go func() {
				b, _ := io.ReadAll(p.server)
				read <- len(b)
			}()
			written := make(chan result, 1)
			first := make(chan struct{})
			go func() {
				total := 0
				for i := 0; ; i++ {
					n, err := p.client.Write(make([]byte, 1000))
					total += n
					if i == 0 {
						close(first)
					}
					if err != nil {
						written <- result{total, err}
						return
					}
				}
			}()
			<-first
			cerr := p.client.Close()
			w := <-written
			return []string{"close " + kind(cerr), "writer stops: " + kind(w.err),
				fmt.Sprintf("peer read what Write reported: %v", <-read == w.n)}
		},
		want: []string{"close nil", "writer stops: stream closed", "peer read what Write reported: true"},
	},
	{
		name: "CloseWithSize at the bytes written",
		run: func(t *testing.T, p *streamPair) []string {
			p.client.Write([]byte("hello"))
			cerr := closeWithSize(p.client, 1+5) // the handshake's byte and hello
			return []string{"close " + kind(cerr), readToEnd(p.server)}
		},
		want: []string{"close nil", `read "hello", EOF`},
	},
	{
		name: "CancelWrite",
		run: func(t *testing.T, p *streamPair) []string {
			p.client.CancelWrite(7)
			_, werr := p.server.Read(make([]byte, 10))
			_, after := p.client.Write([]byte("x"))
			return []string{"peer read: " + kind(werr), "write after cancel: " + kind(after),
				fmt.Sprintf("close after cancel fails: %v", p.client.Close() != nil)}
		},
		want: []string{"peer read: stream error 7 remote=true", "write after cancel: stream error 7 remote=false", "close after cancel fails: true"},
	},
	{
		name: "CancelRead",
		run: func(t *testing.T, p *streamPair) []string {
			p.server.CancelRead(9)
			_, rerr := p.server.Read(make([]byte, 10))
			return []string{"read after cancel: " + kind(rerr), "peer " + writeUntilError(p.client)}
		},
		want: []string{"read after cancel: stream error 9 remote=false", "peer write: stream error 9 remote=true"},
	},
	{
		name: "deadline in the past",
		run: func(t *testing.T, p *streamPair) []string {
			p.server.Write([]byte("data"))
			first := make([]byte, 1)
			io.ReadFull(p.client, first) // the rest is likely buffered now
			p.client.SetDeadline(time.Unix(1, 0))
			var got []string
			for range 3 {
				n, werr := p.client.Write([]byte("x"))
				m, rerr := p.client.Read(make([]byte, 10))
				got = append(got, fmt.Sprintf("write %d %s, read %d %s", n, kind(werr), m, kind(rerr)))
			}
			p.client.SetDeadline(time.Time{})
			p.client.SetReadDeadline(time.Now().Add(setupTimeout)) // fail, not hang, if the bytes were taken
			rest := make([]byte, 3)
			_, err := io.ReadFull(p.client, rest)
			return append(got, fmt.Sprintf("cleared: read %q %s", rest, kind(err)))
		},
		want: []string{"write 0 timeout, read 0 timeout", "write 0 timeout, read 0 timeout", "write 0 timeout, read 0 timeout", `cleared: read "ata" nil`},
	},
	{
		name: "deadline in the future",
		run: func(t *testing.T, p *streamPair) []string {
			p.client.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			n, err := p.client.Read(make([]byte, 10))
			return []string{fmt.Sprintf("read %d %s", n, kind(err))}
		},
		want: []string{"read 0 timeout"},
	},
	{
		name: "deadline cleared",
		run: func(t *testing.T, p *streamPair) []string {
			p.client.SetReadDeadline(time.Now().Add(time.Hour))
			p.client.SetReadDeadline(time.Time{})
			go p.server.Write([]byte("x"))
			b := make([]byte, 1)
			_, err := p.client.Read(b)
			return []string{fmt.Sprintf("read %q %s", b, kind(err))}
		},
		want: []string{`read "x" nil`},
	},
	{
		name: "session closed by the peer",
		run: func(t *testing.T, p *streamPair) []string {
			p.closeServer(42, "bye")
			_, rerr := p.client.Read(make([]byte, 10))
			ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
			defer cancel()
			_, oerr := p.openClient(ctx)
			return []string{"read: " + kind(rerr), writeUntilError(p.client),
				"close " + kind(p.client.Close()), "open: " + kind(oerr)}
		},
		want: []string{`read: application error 42 remote=true "bye"`, `write: application error 42 remote=true "bye"`,
			"close nil", `open: application error 42 remote=true "bye"`},
	},
}

type result struct {
	n   int
	err error
}

// TestStreamSemantics runs each case on quic-go and on KWIK: both must
// show the application the same outcome.
func TestStreamSemantics(t *testing.T) {
	for _, tc := range semanticsCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, im := range impls {
				t.Run(im.name, func(t *testing.T) {
					p := openPair(t, im)
					done := make(chan []string, 1)
					go func() { done <- tc.run(t, p) }()
					var got []string
					select {
					case got = <-done:
					case <-time.After(2 * setupTimeout):
						p.stop() // unblocks every call
						<-done
						t.Fatalf("%s: a call did not return in %v", im.name, 2*setupTimeout)
					}
					if !slices.Equal(got, tc.want) {
						t.Errorf("%s:\n got %q\nwant %q", im.name, got, tc.want)
					}
				})
			}
		})
	}
}
