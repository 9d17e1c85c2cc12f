// sorted-btree (a well-kept B+ tree) is CommonJS: Node's ESM loader hands us module.exports, bundlers unwrap
// its default export. Accept both so the same code runs in plain Node and in workerd.
import * as sortedBtree from "sorted-btree";
import type BTreeClass from "sorted-btree";

type BTreeModule = { default: typeof BTreeClass | { default: typeof BTreeClass } };
const exported = (sortedBtree as unknown as BTreeModule).default;

export const BTree: typeof BTreeClass = "default" in exported ? exported.default : exported;
export type BTree<K, V> = BTreeClass<K, V>;

export const compareBigints = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);
