package wire

import "strconv"

// Role says what a server is to the session it answers.
type Role uint64

// Roles in SERVER_HELLO.
const (
	RolePrimary   Role = 0 // the server the client dialled
	RoleSecondary Role = 1 // a server the primary sent the client to
)

// String returns "primary", "secondary" or "Role(n)".
func (r Role) String() string {
	switch r {
	case RolePrimary:
		return "primary"
	case RoleSecondary:
		return "secondary"
	}
	return "Role(" + strconv.FormatUint(uint64(r), 10) + ")"
}

func roleError(r Role) *Error {
	return newError(FrameServerHello, "Role", "%d is not a role (0 primary, 1 secondary)", uint64(r))
}

// ClientHello (CLIENT_HELLO) opens every control stream: a new session when
// SessionID is empty, else a join of path PathID of that session.
type ClientHello struct {
	Version   uint64
	SessionID []byte // empty, or SessionIDLen bytes
	PathID    uint64
	Token     []byte // path token issued by the primary; at most MaxTokenLen bytes
	// MaxStreams is how many streams the server may open; InitialStreamWindow
	// the credit each new stream has before any MAX_STREAM_DATA.
	MaxStreams          uint64
	InitialStreamWindow uint64
	// MaxAssignments is how many pieces the client lets the primary have
	// assigned to one secondary path at a time (Config.MaxAssignments): the
	// primary assigns no more, so that an honest secondary is never asked
	// for a piece the client would refuse.
	MaxAssignments uint64
}

// Type returns FrameClientHello.
func (f *ClientHello) Type() FrameType { return FrameClientHello }

// Append appends the encoded frame to b.
func (f *ClientHello) Append(b []byte) ([]byte, error) {
	e := newEncoder(FrameClientHello)
	f.encode(&e)
	if err := e.start(b); err != nil {
		return b, err
	}
	f.encode(&e)
	return e.b, nil
}

func (f *ClientHello) encode(e *encoder) {
	e.uint("Version", f.Version)
	e.fixedBytes("SessionID", f.SessionID, SessionIDLen, true)
	e.uint("PathID", f.PathID)
	e.bytes("Token", f.Token, MaxTokenLen)
	e.uint("MaxStreams", f.MaxStreams)
	e.uint("InitialStreamWindow", f.InitialStreamWindow)
	e.uint("MaxAssignments", f.MaxAssignments)
}

func (f *ClientHello) decode(d *decoder) {
	f.Version = d.uint("Version")
	f.SessionID = d.fixedBytes("SessionID", SessionIDLen, true)
	f.PathID = d.uint("PathID")
	f.Token = d.bytes("Token", MaxTokenLen)
	f.MaxStreams = d.uint("MaxStreams")
	f.InitialStreamWindow = d.uint("InitialStreamWindow")
	f.MaxAssignments = d.uint("MaxAssignments")
}

// ServerHello (SERVER_HELLO) accepts a CLIENT_HELLO.
type ServerHello struct {
	Version             uint64
	SessionID           []byte // SessionIDLen bytes
	PathID              uint64
	Role                Role
	MaxStreams          uint64 // streams the client may open
	InitialStreamWindow uint64 // initial receive window of every stream
}

// Type returns FrameServerHello.
func (f *ServerHello) Type() FrameType { return FrameServerHello }

// Append appends the encoded frame to b.
func (f *ServerHello) Append(b []byte) ([]byte, error) {
	e := newEncoder(FrameServerHello)
	f.encode(&e)
	if err := e.start(b); err != nil {
		return b, err
	}
	f.encode(&e)
	return e.b, nil
}

func (f *ServerHello) encode(e *encoder) {
	e.uint("Version", f.Version)
	e.fixedBytes("SessionID", f.SessionID, SessionIDLen, false)
	e.uint("PathID", f.PathID)
	if e.sizing && f.Role > RoleSecondary {
		e.fail(roleError(f.Role))
	}
	e.uint("Role", uint64(f.Role))
	e.uint("MaxStreams", f.MaxStreams)
	e.uint("InitialStreamWindow", f.InitialStreamWindow)
}

func (f *ServerHello) decode(d *decoder) {
	f.Version = d.uint("Version")
	f.SessionID = d.fixedBytes("SessionID", SessionIDLen, false)
	f.PathID = d.uint("PathID")
	f.Role = Role(d.uint("Role"))
	if f.Role > RoleSecondary {
		d.fail(roleError(f.Role))
	}
	f.MaxStreams = d.uint("MaxStreams")
	f.InitialStreamWindow = d.uint("InitialStreamWindow")
}
