package multisource_test

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"os"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/multisource"
)

// A primary that sends each client one file from itself and two
// secondaries: it adds the secondaries as paths of the client's session,
// writes a header itself, and spreads the file over every path. The
// secondaries hold the same file under the same name.
func ExampleSpread() {
	ctx := context.Background()
	var serverTLS *tls.Config // with the server's certificate
	groupKey := []byte("the 32-byte key every server of the group shares")
	ln, err := kwik.Listen(":4433", serverTLS, &kwik.Config{ServerGroupKey: groupKey})
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	sess, err := ln.Accept(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer sess.CloseWithError(0, "")
	for _, addr := range []string{"mirror1.example:4433", "mirror2.example:4433"} {
		if _, err := sess.AddPath(ctx, addr, nil); err != nil { // nil pin: verify by CA
			log.Print(err) // serve without that mirror
		}
	}
	str, err := sess.AcceptStream(ctx)
	if err != nil {
		log.Fatal(err)
	}
	f, err := os.Open("big.iso")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		log.Fatal(err)
	}
	header := []byte("OK\n")
	str.Write(header)
	err = multisource.Spread(ctx, sess, str, "big.iso", f, fi.Size(), &multisource.Config{
		Offset: int64(len(header)),
		OnStats: func(s multisource.Stats) {
			for _, p := range s.Paths {
				log.Printf("path %d: %d bytes, %d pieces failed verification", p.PathID, p.DeliveredBytes, p.CorruptPieces)
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	str.CloseWithSize(int64(len(header)) + fi.Size())
	<-sess.Context().Done() // the client closes once it has read everything
}

// A secondary: every session it accepts is a path a primary added to one of
// its clients' sessions; it writes the ranges the primary asks for.
func ExampleServeRanges() {
	ctx := context.Background()
	var serverTLS *tls.Config // with the server's certificate
	groupKey := []byte("the 32-byte key every server of the group shares")
	ln, err := kwik.Listen(":4433", serverTLS, &kwik.Config{ServerGroupKey: groupKey})
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	root, err := os.OpenRoot("/srv/files")
	if err != nil {
		log.Fatal(err)
	}
	for {
		sess, err := ln.Accept(ctx)
		if err != nil {
			log.Fatal(err)
		}
		go func() {
			defer sess.CloseWithError(0, "")
			err := multisource.ServeRanges(ctx, sess, func(object string) (io.ReaderAt, error) {
				return root.Open(object) // an *os.Root keeps requests inside the directory
			})
			if err != nil {
				log.Print(err)
			}
		}()
	}
}
