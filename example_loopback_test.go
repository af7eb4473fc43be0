package kwik_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"strconv"
	"strings"
	"sync"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/certs"
)

// devTLS returns a server configuration with a self-signed certificate for
// 127.0.0.1 and a client configuration that trusts it. A real server has a
// certificate of its own.
func devTLS() (server, client *tls.Config) {
	p, err := certs.NewPair()
	if err != nil {
		log.Fatal(err)
	}
	return p.Server, p.Client
}

// A client opens a stream to a server, sends a request and reads the
// answer, as with quic-go.
func Example() {
	serverTLS, clientTLS := devTLS()
	ctx := context.Background()

	ln, err := kwik.Listen("127.0.0.1:0", serverTLS, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() { // the server: answer one request
		defer close(done)
		sess, err := ln.Accept(ctx)
		if err != nil {
			log.Fatal(err)
		}
		defer sess.CloseWithError(0, "")
		str, err := sess.AcceptStream(ctx)
		if err != nil {
			log.Fatal(err)
		}
		req, _ := io.ReadAll(str)
		fmt.Fprintf(str, "pong to %s", req)
		str.Close()
		<-sess.Context().Done() // until the client has read it and closed
	}()

	sess, err := kwik.Dial(ctx, ln.Addr().String(), clientTLS, nil)
	if err != nil {
		log.Fatal(err)
	}
	str, err := sess.OpenStreamSync(ctx)
	if err != nil {
		log.Fatal(err)
	}
	str.Write([]byte("ping"))
	str.Close() // the request is complete: the server's ReadAll returns
	answer, err := io.ReadAll(str)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", answer)
	sess.CloseWithError(0, "")
	<-done
	// Output: pong to ping
}

// A primary server has a client fetch half of an object from a secondary
// server: AddPath opens the client's path to it, AssignRange tells the
// client which bytes that path may write (and what they are), SendRawData
// relays the request, and the secondary writes the bytes at their offset
// with WriteAt. The client reads one stream, whoever wrote its bytes.
func ExampleSession_AddPath() {
	serverTLS, clientTLS := devTLS()
	ctx := context.Background()
	object := []byte("one stream, written by two servers")
	half := len(object) / 2
	// The primary and its secondaries share a group key, which
	// authenticates the primary's requests to them.
	servers := &kwik.Config{ServerGroupKey: []byte(strings.Repeat("k", 32))}

	secondary, err := kwik.Listen("127.0.0.1:0", serverTLS, servers)
	if err != nil {
		log.Fatal(err)
	}
	defer secondary.Close()
	primary, err := kwik.Listen("127.0.0.1:0", serverTLS, servers)
	if err != nil {
		log.Fatal(err)
	}
	defer primary.Close()

	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { // the secondary: write what the primary asks for
		sess, err := secondary.Accept(ctx)
		if err != nil {
			log.Fatal(err)
		}
		defer sess.CloseWithError(0, "")
		msg, err := sess.AcceptRawData(ctx)
		if err != nil {
			log.Fatal(err)
		}
		off, _ := strconv.Atoi(string(msg.Data))
		w, err := sess.StreamWriter(msg.StreamID)
		if err != nil {
			log.Fatal(err)
		}
		if _, err := w.WriteAt(object[off:], int64(off)); err != nil {
			log.Fatal(err)
		}
		<-sess.Context().Done()
	})
	wg.Go(func() { // the primary: the first half itself, the rest from the secondary
		sess, err := primary.Accept(ctx)
		if err != nil {
			log.Fatal(err)
		}
		defer sess.CloseWithError(0, "")
		str, err := sess.AcceptStream(ctx)
		if err != nil {
			log.Fatal(err)
		}
		pin := kwik.PublicKeyPin(serverTLS.Certificates[0].Leaf)
		path, err := sess.AddPath(ctx, secondary.Addr().String(), pin)
		if err != nil {
			log.Fatal(err)
		}
		id := uint64(str.StreamID())
		if err := sess.AssignRange(path.ID, id, uint64(half), object[half:]); err != nil {
			log.Fatal(err)
		}
		if err := sess.SendRawData(path.ID, id, []byte(strconv.Itoa(half))); err != nil {
			log.Fatal(err)
		}
		fmt.Println("paths:", len(sess.AllPaths())) // the primary's and the secondary's
		if _, err := str.WriteAt(object[:half], 0); err != nil {
			log.Fatal(err)
		}
		if err := str.CloseWithSize(int64(len(object))); err != nil {
			log.Fatal(err)
		}
		<-sess.Context().Done()
	})

	client, err := kwik.Dial(ctx, primary.Addr().String(), clientTLS, nil)
	if err != nil {
		log.Fatal(err)
	}
	str, err := client.OpenStreamSync(ctx)
	if err != nil {
		log.Fatal(err)
	}
	str.Write([]byte("GET")) // a stream exists for the peer once it carries a byte
	got, err := io.ReadAll(str)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", got)
	client.CloseWithError(0, "")
	// Output:
	// paths: 2
	// one stream, written by two servers
}

// Receive windows are plain fields of Config; an invalid one is a
// *ConfigError, reported before anything is sent.
func ExampleConfig() {
	conf := &kwik.Config{
		InitialStreamReceiveWindow: 1 << 20,  // each new stream may receive 1 MiB ahead of Read
		MaxStreamReceiveWindow:     64 << 10, // but auto-tuning may not go past 64 KiB
	}
	_, err := kwik.Dial(context.Background(), "127.0.0.1:4433", &tls.Config{}, conf)
	var bad *kwik.ConfigError
	if errors.As(err, &bad) {
		fmt.Println(bad.Field, "is", bad.Value, "and must be", bad.Want)
	}
	// Output: InitialStreamReceiveWindow is 1048576 and must be at most MaxStreamReceiveWindow (65536)
}
