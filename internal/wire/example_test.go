package wire_test

import (
	"bufio"
	"bytes"
	"fmt"

	"github.com/kwik-transport/kwik/internal/wire"
)

func Example() {
	var stream bytes.Buffer
	for _, f := range []wire.Frame{
		&wire.MaxStreamData{StreamID: 4, Limit: 1 << 20},
		&wire.PathStatus{PathID: 2, Status: wire.PathDead, Reason: "idle timeout"},
	} {
		b, err := f.Append(nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		stream.Write(b)
	}

	r := bufio.NewReader(&stream)
	for {
		f, err := wire.ReadControlFrame(r)
		if err != nil {
			fmt.Println(err) // io.EOF at a frame boundary: the stream ended cleanly
			return
		}
		switch f := f.(type) {
		case *wire.MaxStreamData:
			fmt.Printf("%v: stream %d may send up to %d\n", f.Type(), f.StreamID, f.Limit)
		case *wire.PathStatus:
			fmt.Printf("%v: path %d is %v (%s)\n", f.Type(), f.PathID, f.Status, f.Reason)
		}
	}
	// Output:
	// MAX_STREAM_DATA: stream 4 may send up to 1048576
	// PATH_STATUS: path 2 is dead (idle timeout)
	// EOF
}
