"""Taking real money: the payment-provider interface, the sandbox provider and coin packages."""
