// derp-pump pushes packets from one DERP client to another through a derper
// and reports what arrived, as one JSON line. It is the anchor the relay
// bench compares the pair relay with: two keys, one server, fixed-size
// packets, a closed window so the sender never outruns the receiver by more
// than -window packets (as a congestion-controlled tunnel would).
//
//	derp-pump -server http://127.0.0.1:3340/derp -size 1392 -seconds 3
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"tailscale.com/derp"
	"tailscale.com/derp/derphttp"
	"tailscale.com/net/netmon"
	"tailscale.com/types/key"
	"tailscale.com/types/logger"
)

type result struct {
	Size            int     `json:"size"`
	Sent            int64   `json:"sent"`
	Received        int64   `json:"received"`
	Seconds         float64 `json:"seconds"`
	PacketsPerSec   float64 `json:"packetsPerSecond"`
	MbitPerSec      float64 `json:"mbitPerSecond"`
	ServerPublicKey string  `json:"serverPublicKey"`
}

func main() {
	server := flag.String("server", "http://127.0.0.1:3340/derp", "derper URL")
	size := flag.Int("size", 1392, "packet size in bytes")
	seconds := flag.Float64("seconds", 3, "how long to send")
	window := flag.Int64("window", 4096, "most packets in flight (sent, not yet received)")
	flag.Parse()
	if *size < 1 || *size > 64<<10 || *seconds <= 0 || *window < 1 {
		fmt.Fprintln(os.Stderr, "derp-pump: -size must be 1..65536, -seconds and -window positive")
		os.Exit(2)
	}
	if err := run(*server, *size, *seconds, *window); err != nil {
		fmt.Fprintln(os.Stderr, "derp-pump:", err)
		os.Exit(1)
	}
}

func dial(ctx context.Context, server string) (*derphttp.Client, key.NodePrivate, error) {
	priv := key.NewNode()
	c, err := derphttp.NewClient(priv, server, logger.Discard, netmon.NewStatic())
	if err != nil {
		return nil, priv, err
	}
	if err := c.Connect(ctx); err != nil {
		return nil, priv, fmt.Errorf("connect %s: %w", server, err)
	}
	return c, priv, nil
}

func run(server string, size int, seconds float64, window int64) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(seconds*float64(time.Second))+30*time.Second)
	defer cancel()
	sender, _, err := dial(ctx, server)
	if err != nil {
		return err
	}
	defer sender.Close()
	receiver, recvPriv, err := dial(ctx, server)
	if err != nil {
		return err
	}
	defer receiver.Close()
	dst := recvPriv.Public()

	var received atomic.Int64
	first := make(chan struct{})
	go func() {
		for {
			m, err := receiver.Recv()
			if err != nil {
				return
			}
			if p, ok := m.(derp.ReceivedPacket); ok && len(p.Data) == size {
				if received.Add(1) == 1 {
					close(first)
				}
			}
		}
	}()

	payload := make([]byte, size)
	for i := range payload {
		payload[i] = 0xa5
	}
	// Until the server has registered the receiver, packets to it are dropped: prime until one lands.
	deadline := time.Now().Add(10 * time.Second)
	for primed := false; !primed; {
		if err := sender.Send(dst, payload); err != nil {
			return err
		}
		select {
		case <-first:
			primed = true
		case <-time.After(20 * time.Millisecond):
			if time.Now().After(deadline) {
				return fmt.Errorf("no packet reached the receiver within 10 s")
			}
		}
	}
	time.Sleep(100 * time.Millisecond)

	base := received.Load()
	var sent int64
	start := time.Now()
	end := start.Add(time.Duration(seconds * float64(time.Second)))
	for time.Now().Before(end) {
		if sent-(received.Load()-base) >= window {
			time.Sleep(50 * time.Microsecond)
			continue
		}
		if err := sender.Send(dst, payload); err != nil {
			return err
		}
		sent++
	}
	elapsed := time.Since(start).Seconds()
	// Stragglers still in flight count, as in the relay bench.
	time.Sleep(500 * time.Millisecond)
	got := received.Load() - base
	return json.NewEncoder(os.Stdout).Encode(result{
		Size:            size,
		Sent:            sent,
		Received:        got,
		Seconds:         elapsed,
		PacketsPerSec:   float64(got) / elapsed,
		MbitPerSec:      float64(got) * float64(size) * 8 / elapsed / 1e6,
		ServerPublicKey: sender.ServerPublicKey().ShortString(),
	})
}
