## How requests are taken in: what is refused before any page is made.

err-host-repeated = The request names its host more than once; send a single Host header.
err-body-first-byte = The body did not start within { $seconds } seconds; please send it again.
err-body-broken = The body ended before it was complete; please send it again.
