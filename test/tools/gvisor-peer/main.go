// gvisor-peer runs a WireGuard peer on wireguard-go's user-space netstack (gVisor's TCP/IP)
// over an ordinary UDP socket: the user-space "WireGuard plus TCP" that the agent's own stack is
// measured against. It needs no TUN device and no root.
//
//	gvisor-peer serve  CONFIG SINK_PORT SOURCE_PORT
//	gvisor-peer client CONFIG send|recv HOST:PORT BYTES SEED
//
// CONFIG is a file of "key value" lines (mode 0600, so no private key shows up in argv):
//
//	private-key BASE64        our key, as `wg genkey` prints it
//	peer-public-key BASE64    the one peer's key
//	listen-port N             UDP port of the WireGuard socket
//	address IP                our tunnel address
//	allowed-ip CIDR           what the peer may send from and we route to it
//	mtu N                     tunnel MTU (default 1420)
//	endpoint HOST:PORT        optional; without it the peer's first handshake teaches it
//
// serve: a sink on SINK_PORT (reads to EOF, answers "<bytes> <sha256 hex>") and a source on
// SOURCE_PORT (reads one line "<bytes> <seed>", sends that many bytes of the seeded stream,
// closes), the same services as test/system/tcp-services.ts. Prints {"event":"ready"}.
//
// client: the iperf-like bulk side through the netstack. send streams BYTES of the seeded
// stream to a sink and prints {"bytes","answer","seconds"}; recv asks a source for BYTES and
// prints {"bytes","sha256","seconds"}.
//
// The seeded stream is AES-128-CTR with key sha256(seed)[:16] and a zero IV over zero bytes,
// the same bytes test/system/tcp-stream.ts produces, so either side can check the other.
package main

import (
	"bufio"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun/netstack"
)

const chunkSize = 64 * 1024

type config struct {
	privateKey, peerPublicKey string // hex, as the UAPI wants them
	listenPort                int
	address                   netip.Addr
	allowedIP                 netip.Prefix
	mtu                       int
	endpoint                  string
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "gvisor-peer: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 2 {
		return errors.New("usage: gvisor-peer serve CONFIG SINK_PORT SOURCE_PORT | client CONFIG send|recv HOST:PORT BYTES SEED")
	}
	cfg, err := readConfig(args[1])
	if err != nil {
		return err
	}
	switch args[0] {
	case "serve":
		if len(args) != 4 {
			return errors.New("usage: gvisor-peer serve CONFIG SINK_PORT SOURCE_PORT")
		}
		sink, err1 := port(args[2])
		source, err2 := port(args[3])
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		tnet, err := up(cfg)
		if err != nil {
			return err
		}
		return serve(tnet, cfg.address, sink, source)
	case "client":
		if len(args) != 6 || (args[2] != "send" && args[2] != "recv") {
			return errors.New("usage: gvisor-peer client CONFIG send|recv HOST:PORT BYTES SEED")
		}
		target, err := netip.ParseAddrPort(args[3])
		if err != nil {
			return fmt.Errorf("bad HOST:PORT %q: %w", args[3], err)
		}
		bytes, err := strconv.ParseInt(args[4], 10, 64)
		if err != nil || bytes < 0 {
			return fmt.Errorf("bad BYTES %q", args[4])
		}
		tnet, err := up(cfg)
		if err != nil {
			return err
		}
		return client(tnet, args[2], target, bytes, args[5])
	default:
		return fmt.Errorf("unknown mode %q (serve or client)", args[0])
	}
}

func port(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("bad port %q", s)
	}
	return uint16(n), nil
}

func keyHex(b64 string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != 32 {
		return "", fmt.Errorf("not a base64 WireGuard key: %q", b64)
	}
	return hex.EncodeToString(raw), nil
}

func readConfig(path string) (config, error) {
	c := config{mtu: 1420}
	text, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	for i, line := range strings.Split(string(text), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, " ")
		if !ok {
			return c, fmt.Errorf("%s:%d: want \"key value\"", path, i+1)
		}
		value = strings.TrimSpace(value)
		switch key {
		case "private-key":
			c.privateKey, err = keyHex(value)
		case "peer-public-key":
			c.peerPublicKey, err = keyHex(value)
		case "listen-port":
			var p uint16
			p, err = port(value)
			c.listenPort = int(p)
		case "address":
			c.address, err = netip.ParseAddr(value)
		case "allowed-ip":
			c.allowedIP, err = netip.ParsePrefix(value)
		case "mtu":
			c.mtu, err = strconv.Atoi(value)
		case "endpoint":
			c.endpoint = value
		default:
			err = fmt.Errorf("unknown key %q", key)
		}
		if err != nil {
			return c, fmt.Errorf("%s:%d: %w", path, i+1, err)
		}
	}
	if c.privateKey == "" || c.peerPublicKey == "" || c.listenPort == 0 || !c.address.IsValid() || !c.allowedIP.IsValid() {
		return c, fmt.Errorf("%s: needs private-key, peer-public-key, listen-port, address and allowed-ip", path)
	}
	return c, nil
}

// up brings the WireGuard device up on a netstack TUN, exactly as wireguard-go's own
// user-space examples do, with the netstack's default TCP settings.
func up(c config) (*netstack.Net, error) {
	tunDev, tnet, err := netstack.CreateNetTUN([]netip.Addr{c.address}, nil, c.mtu)
	if err != nil {
		return nil, err
	}
	dev := device.NewDevice(tunDev, conn.NewDefaultBind(), device.NewLogger(device.LogLevelError, "gvisor-peer: "))
	uapi := fmt.Sprintf("private_key=%s\nlisten_port=%d\npublic_key=%s\nallowed_ip=%s\n",
		c.privateKey, c.listenPort, c.peerPublicKey, c.allowedIP)
	if c.endpoint != "" {
		uapi += "endpoint=" + c.endpoint + "\n"
	}
	if err := dev.IpcSet(uapi); err != nil {
		return nil, err
	}
	return tnet, dev.Up()
}

func emit(v map[string]any) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

func serve(tnet *netstack.Net, addr netip.Addr, sinkPort, sourcePort uint16) error {
	sink, err := tnet.ListenTCPAddrPort(netip.AddrPortFrom(addr, sinkPort))
	if err != nil {
		return err
	}
	source, err := tnet.ListenTCPAddrPort(netip.AddrPortFrom(addr, sourcePort))
	if err != nil {
		return err
	}
	go acceptLoop(sink, sinkConn)
	go acceptLoop(source, sourceConn)
	emit(map[string]any{"event": "ready", "sink": sinkPort, "source": sourcePort})
	select {}
}

// halfCloser is what the netstack's TCP connections (gonet.TCPConn) offer.
type halfCloser interface {
	net.Conn
	CloseWrite() error
}

func acceptLoop(l net.Listener, handle func(halfCloser) error) {
	for {
		c, err := l.Accept()
		if err != nil {
			fmt.Fprintf(os.Stderr, "gvisor-peer: accept: %v\n", err)
			return
		}
		go func() {
			defer c.Close()
			hc, ok := c.(halfCloser)
			if !ok {
				fmt.Fprintf(os.Stderr, "gvisor-peer: %T cannot half-close\n", c)
				return
			}
			if err := handle(hc); err != nil {
				fmt.Fprintf(os.Stderr, "gvisor-peer: %v\n", err)
			}
		}()
	}
}

func sinkConn(c halfCloser) error {
	h := sha256.New()
	n, err := io.Copy(h, c)
	if err != nil {
		return fmt.Errorf("sink: %w", err)
	}
	if _, err := fmt.Fprintf(c, "%d %s", n, hex.EncodeToString(h.Sum(nil))); err != nil {
		return err
	}
	return c.CloseWrite()
}

func sourceConn(c halfCloser) error {
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("source: reading the request: %w", err)
	}
	fields := strings.Fields(line)
	if len(fields) != 2 {
		return fmt.Errorf("source: want \"<bytes> <seed>\", got %q", line)
	}
	n, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("source: bad byte count %q", fields[0])
	}
	if err := writeStream(c, fields[1], n); err != nil {
		return fmt.Errorf("source: %w", err)
	}
	return c.CloseWrite()
}

func stream(seed string) cipher.Stream {
	key := sha256.Sum256([]byte(seed))
	block, _ := aes.NewCipher(key[:16])
	return cipher.NewCTR(block, make([]byte, aes.BlockSize))
}

func writeStream(w io.Writer, seed string, n int64) error {
	s := stream(seed)
	zeros := make([]byte, chunkSize)
	buf := make([]byte, chunkSize)
	for n > 0 {
		k := int64(chunkSize)
		if n < k {
			k = n
		}
		s.XORKeyStream(buf[:k], zeros[:k])
		if _, err := w.Write(buf[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

func client(tnet *netstack.Net, mode string, target netip.AddrPort, n int64, seed string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := tnet.DialContextTCPAddrPort(ctx, target)
	if err != nil {
		return fmt.Errorf("connect %s: %w", target, err)
	}
	defer c.Close()
	started := time.Now()
	if mode == "send" {
		if err := writeStream(c, seed, n); err != nil {
			return err
		}
		if err := c.CloseWrite(); err != nil {
			return err
		}
		answer, err := io.ReadAll(c)
		if err != nil {
			return err
		}
		emit(map[string]any{"bytes": n, "answer": string(answer), "seconds": time.Since(started).Seconds()})
		return nil
	}
	if _, err := fmt.Fprintf(c, "%d %s\n", n, seed); err != nil {
		return err
	}
	h := sha256.New()
	got, err := io.Copy(h, c)
	if err != nil {
		return err
	}
	emit(map[string]any{"bytes": got, "sha256": hex.EncodeToString(h.Sum(nil)), "seconds": time.Since(started).Seconds()})
	return nil
}
