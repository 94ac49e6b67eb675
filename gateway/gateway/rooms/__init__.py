"""The gateway's routes, one room per audience (a mixin each); `gateway.service`
composes them with the dependencies into the one nameko service."""
