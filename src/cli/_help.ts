/**
 * `condure --help` text of Condure 1.9.1 (clap 3.2 layout), byte for byte.
 *
 * @module
 */

/**
 * The help text, ending with a newline.
 *
 * @example
 * ```ts
 * import { HELP_TEXT } from "./_help.ts";
 * if (!HELP_TEXT.startsWith("condure 1.9.1\n")) throw new Error();
 * ```
 */
export const HELP_TEXT = `condure 1.9.1
HTTP/WebSocket connection manager

USAGE:
    condure [OPTIONS]

OPTIONS:
        --body-buffer-size <N>
            Body buffer size for connections in req mode [default: 100000]

        --buffer-size <N>
            Connection buffer size (two buffers per connection) [default: 8192]

        --compression
            Allow compression to be used

    -h, --help
            Print help information

        --id <ID>
            Instance ID [default: condure]

        --ipc-file-mode <octal>
            Permissions for ZeroMQ IPC binds

        --listen <[addr:]port[,params...]>...
            Port to listen on [default: 0.0.0.0:8000,stream]

        --log-level <N>
            Log level [default: 2]

        --messages-max <N>
            Maximum number of queued WebSocket messages per connection [default: 100]

        --req-maxconn <N>
            Maximum number of concurrent connections in req mode [default: 100]

        --req-timeout <N>
            Client timeout in req mode (seconds) [default: 30]

        --sizes
            Prints sizes of tasks and other objects

        --stream-maxconn <N>
            Maximum number of concurrent connections in stream mode [default: 10000]

        --stream-timeout <N>
            Client timeout in stream mode (seconds) [default: 1800]

        --tls-identities-dir <directory>
            Directory containing certificates and private keys [default: .]

    -V, --version
            Print version information

        --workers <N>
            Number of worker threads [default: 2]

        --zclient-connect
            ZeroMQ client sockets should connect instead of bind

        --zclient-req <spec>...
            ZeroMQ client REQ spec [default: ipc://client]

        --zclient-stream <spec-base>...
            ZeroMQ client PUSH/ROUTER/SUB spec base [default: ipc://client]
`;
