#!/bin/bash
for file in `ls *root`
do
  run=${file:4:5}
  root -q -b -l "drawcheck.c($run)" &
  sleep 1
done
