package emulator_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/kwik-transport/kwik/pkg/emulator"
)

func ExampleParseRate() {
	rate, err := emulator.ParseRate("10Mbit/s")
	if err != nil {
		log.Fatal(err)
	}
	loss, err := emulator.ParseLoss("0.5%")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rate, loss)

	_, err = emulator.ParseRate("10mbps")
	fmt.Println(err)
	// Output:
	// 10000000 0.005
	// emulator: invalid rate "10mbps": unit "mbps" is ambiguous (tc reads it as bytes per second, most people as bits): write "mbit" for megabits per second
}

// A 20 Mbit/s path with 25 ms each way and 1% loss in front of a server on
// 127.0.0.1:4433: clients dial the link's address instead of the server's.
func ExampleListen() {
	link, err := emulator.Listen(context.Background(), "127.0.0.1:0", "127.0.0.1:4433", emulator.LinkConfig{
		Rate:  20_000_000,
		Delay: 25 * time.Millisecond,
		Loss:  0.01,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer link.Close()
	fmt.Println("dial", link.Addr(), "instead of 127.0.0.1:4433")

	// Later: the path dies, as far as anyone using it can tell.
	link.Kill()
}
