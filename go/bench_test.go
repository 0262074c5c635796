package bouncekit

import "testing"

func BenchmarkClassify(b *testing.B) {
	if _, err := Classify(corpus[0]); err != nil { // build the rule set outside the timer
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Classify(corpus[i%len(corpus)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClassifierParallel(b *testing.B) {
	c, err := NewClassifier()
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := c.Classify(corpus[i%len(corpus)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

func BenchmarkExplain(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := Explain("5.7.26"); err != nil {
			b.Fatal(err)
		}
	}
}
