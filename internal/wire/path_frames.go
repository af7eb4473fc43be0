package wire

import "strconv"

// PathState is the Status of a PATH_STATUS frame.
type PathState uint64

// Path states.
const (
	PathActive   PathState = 1 // the path is up
	PathDegraded PathState = 2 // the path is up but failing liveness checks
	PathDead     PathState = 3 // the path went down
	PathRemoved  PathState = 4 // the path was closed on request (REMOVE_PATH)
	PathFailed   PathState = 5 // the path could not be opened
)

// String returns the state's name, or "PathState(n)".
func (s PathState) String() string {
	switch s {
	case PathActive:
		return "active"
	case PathDegraded:
		return "degraded"
	case PathDead:
		return "dead"
	case PathRemoved:
		return "removed"
	case PathFailed:
		return "failed"
	}
	return "PathState(" + strconv.FormatUint(uint64(s), 10) + ")"
}

func (s PathState) valid() bool { return s >= PathActive && s <= PathFailed }

func pathStateError(s PathState) *Error {
	return newError(FramePathStatus, "Status", "%d is not a path state (1 to 5)", uint64(s))
}

// AddPath (ADD_PATH) tells the client to open path PathID to a secondary
// server.
type AddPath struct {
	PathID  uint64
	Address string // host:port, at most MaxAddressLen bytes
	Token   []byte // at most MaxTokenLen bytes, opaque to the client
	CertPin []byte // empty, or CertPinLen bytes: SHA-256 of the leaf's SubjectPublicKeyInfo
}

// Type returns FrameAddPath.
func (f *AddPath) Type() FrameType { return FrameAddPath }

// Append appends the encoded frame to b.
func (f *AddPath) Append(b []byte) ([]byte, error) {
	e := newEncoder(FrameAddPath)
	f.encode(&e)
	if err := e.start(b); err != nil {
		return b, err
	}
	f.encode(&e)
	return e.b, nil
}

func (f *AddPath) encode(e *encoder) {
	e.uint("PathID", f.PathID)
	e.string("Address", f.Address, MaxAddressLen)
	e.bytes("Token", f.Token, MaxTokenLen)
	e.fixedBytes("CertPin", f.CertPin, CertPinLen, true)
}

func (f *AddPath) decode(d *decoder) {
	f.PathID = d.uint("PathID")
	f.Address = d.string("Address", MaxAddressLen)
	f.Token = d.bytes("Token", MaxTokenLen)
	f.CertPin = d.fixedBytes("CertPin", CertPinLen, true)
}

// PathStatus (PATH_STATUS) reports the state of a path to the primary.
type PathStatus struct {
	PathID uint64
	Status PathState
	Reason string // at most MaxReasonLen bytes
}

// Type returns FramePathStatus.
func (f *PathStatus) Type() FrameType { return FramePathStatus }

// Append appends the encoded frame to b.
func (f *PathStatus) Append(b []byte) ([]byte, error) {
	e := newEncoder(FramePathStatus)
	f.encode(&e)
	if err := e.start(b); err != nil {
		return b, err
	}
	f.encode(&e)
	return e.b, nil
}

func (f *PathStatus) encode(e *encoder) {
	e.uint("PathID", f.PathID)
	if e.sizing && !f.Status.valid() {
		e.fail(pathStateError(f.Status))
	}
	e.uint("Status", uint64(f.Status))
	e.string("Reason", f.Reason, MaxReasonLen)
}

func (f *PathStatus) decode(d *decoder) {
	f.PathID = d.uint("PathID")
	f.Status = PathState(d.uint("Status"))
	if d.err == nil && !f.Status.valid() {
		d.fail(pathStateError(f.Status))
	}
	f.Reason = d.string("Reason", MaxReasonLen)
}

// RemovePath (REMOVE_PATH) tells the client to close a path.
type RemovePath struct {
	PathID uint64
}

// Type returns FrameRemovePath.
func (f *RemovePath) Type() FrameType { return FrameRemovePath }

// Append appends the encoded frame to b.
func (f *RemovePath) Append(b []byte) ([]byte, error) {
	e := newEncoder(FrameRemovePath)
	f.encode(&e)
	if err := e.start(b); err != nil {
		return b, err
	}
	f.encode(&e)
	return e.b, nil
}

func (f *RemovePath) encode(e *encoder) { e.uint("PathID", f.PathID) }

func (f *RemovePath) decode(d *decoder) { f.PathID = d.uint("PathID") }

// RawData (RAW_DATA) is data from the primary for a secondary server,
// relayed unchanged by the client and authenticated by MAC.
type RawData struct {
	PathID   uint64 // the secondary's path
	StreamID uint64 // the client stream the data concerns
	Seq      uint64 // strictly increasing per path
	Data     []byte // bounded only by MaxControlFrameSize
	MAC      []byte // MACLen bytes of HMAC-SHA256
}

// Type returns FrameRawData.
func (f *RawData) Type() FrameType { return FrameRawData }

// Append appends the encoded frame to b.
func (f *RawData) Append(b []byte) ([]byte, error) {
	e := newEncoder(FrameRawData)
	f.encode(&e)
	if err := e.start(b); err != nil {
		return b, err
	}
	f.encode(&e)
	return e.b, nil
}

func (f *RawData) encode(e *encoder) {
	e.uint("PathID", f.PathID)
	e.uint("StreamID", f.StreamID)
	e.uint("Seq", f.Seq)
	e.bytes("Data", f.Data, MaxControlFrameSize)
	e.fixedBytes("MAC", f.MAC, MACLen, false)
}

func (f *RawData) decode(d *decoder) {
	f.PathID = d.uint("PathID")
	f.StreamID = d.uint("StreamID")
	f.Seq = d.uint("Seq")
	f.Data = d.bytes("Data", MaxControlFrameSize)
	f.MAC = d.fixedBytes("MAC", MACLen, false)
}
