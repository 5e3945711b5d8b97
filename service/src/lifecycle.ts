/** Where a node is in its life: it accepts sockets only while `ready`. */
export type Lifecycle = 'starting' | 'ready' | 'draining' | 'closed';
