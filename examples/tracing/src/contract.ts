import { defineContract, method } from 'udprpc';

/** The shop's price service: both processes import it. */
export const prices = defineContract('prices', {
  /** The price of `qty` units of `sku`, in cents; NOT_FOUND for an unknown SKU. */
  quote: method<{ sku: string; qty: number }, number>(),
});
