//go:build unix

package fileserve

import "syscall"

// openFlags makes opening a FIFO or a device that replaced a regular file
// return at once instead of waiting; reads of a regular file ignore it.
const openFlags = syscall.O_NONBLOCK
