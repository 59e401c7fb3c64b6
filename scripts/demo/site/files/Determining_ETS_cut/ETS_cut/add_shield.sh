#!/bin/bash
cat shield*.txt >> ets_cut.txt
