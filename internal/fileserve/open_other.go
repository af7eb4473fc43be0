//go:build !unix

package fileserve

// openFlags: no non-blocking open here; Open's Stat check still refuses
// what is not a regular file.
const openFlags = 0
