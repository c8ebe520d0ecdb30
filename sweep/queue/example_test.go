package queue_test

import (
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/fluens-lab/fluens/sweep/queue"
)

// A group without a NATS server starts one on loopback; any address
// beyond loopback needs credentials.
func ExampleServe() {
	dir, err := os.MkdirTemp("", "nats")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := queue.Serve(queue.ServerOptions{Addr: "127.0.0.1:0", StoreDir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Shutdown()
	fmt.Println(strings.HasPrefix(s.URL(), "nats://127.0.0.1:"))

	_, err = queue.Serve(queue.ServerOptions{Addr: "0.0.0.0:0", StoreDir: dir})
	fmt.Println(err)
	// Output:
	// true
	// queue: refusing to listen on 0.0.0.0:0, beyond loopback, without authentication: give a token or a user and password
}
