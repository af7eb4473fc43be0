//go:build unix

package main

import (
	"errors"
	"syscall"
)

// fifoOpenFlags makes opening a FIFO for writing fail at once when no
// process reads it, instead of waiting for one.
const fifoOpenFlags = syscall.O_NONBLOCK

// noReader reports whether an open failed because a FIFO has no reader.
func noReader(err error) bool { return errors.Is(err, syscall.ENXIO) }
