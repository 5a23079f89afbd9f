import { describeCorpusEquivalence } from './corpus-equivalence.js';

describeCorpusEquivalence('x86_64', 1, 2);
