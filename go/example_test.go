package bouncekit_test

import (
	"errors"
	"fmt"

	bouncekit "example.invalid/bouncekit/go"
)

func ExampleClassify() {
	c, err := bouncekit.Classify("550 5.1.1 <user@example.com>: Recipient address rejected: User unknown")
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Reason, c.BounceType, c.Action, c.Status)
	// Output: userunknown hard suppress 5.1.1
}

func ExampleNewClassifierWithRules() {
	rules := []byte(`
[[rule]]
id = "acme.vip"
reason = "filtered"
priority = 100
phrases = ["vip list only"]
examples = ["550 5.1.1 vip list only"]
`)
	c, err := bouncekit.NewClassifierWithRules(rules)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	v, _ := c.Classify("550 5.1.1 vip list only")
	fmt.Println(v.Reason, v.Rule)
	// Output: filtered acme.vip
}

func ExampleExplain() {
	e, err := bouncekit.Explain("5.4.1")
	if err != nil {
		panic(err)
	}
	fmt.Println(e.Name, "/", e.Permanence, "/", e.Category)
	_, err = bouncekit.Explain("5.9.1")
	fmt.Println(errors.Is(err, bouncekit.ErrInvalidCode))
	// Output:
	// No answer from host / permanent / network_routing
	// true
}
