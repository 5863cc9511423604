// One computed value shared by the callers of one turn of the event loop: the watchers of a
// change, released together when a sync settles, ask for the same joined lines and the same
// framed bytes one after another; the first pays, the others get its result.

/**
 * `make` remembering its last input and output until the event loop's next turn (then both are
 * dropped, so nothing stays alive longer than the burst that asked for it).
 */
export function memoForTurn<I, O>(make: (input: I) => O, same: (a: I, b: I) => boolean = Object.is): (input: I) => O {
  let last: { input: I; output: O } | undefined;
  return (input) => {
    if (last && same(last.input, input)) return last.output;
    const output = make(input);
    if (!last) setImmediate(() => (last = undefined));
    last = { input, output };
    return output;
  };
}
