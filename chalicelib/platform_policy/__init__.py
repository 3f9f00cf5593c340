"""The platform's rules over every seller: precedence layers (pure), the cached policy, admin use cases, stores."""
