//go:build !unix

package fileserve

// identity: without inodes a file has no identity that survives a rewrite
// under the same name and time; its digests are not cached.
func (f *fileObject) identity() (objectID, bool) { return objectID{}, false }
