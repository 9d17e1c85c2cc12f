// The library entry point: the IPAM core and the address math it is built on.
export * from "./core";
export * as net from "./net";
