//go:build unix

package fileserve

import "syscall"

func (f *fileObject) identity() (objectID, bool) {
	st, err := f.Stat()
	if err != nil {
		return objectID{}, false
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return objectID{}, false
	}
	return objectID{dev: uint64(sys.Dev), ino: uint64(sys.Ino), size: f.size, mtime: st.ModTime().UnixNano()}, true
}
